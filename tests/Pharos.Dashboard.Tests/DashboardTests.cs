using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Pharos.Dashboard.Tests.Support;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Pharos.Dashboard.Tests;

/// <summary>The dashboard page in Debian's Chromium against a real standalone node that trains real repositories.</summary>
[Collection(DashboardCollection.Name)]
[TestCaseOrderer(ByOrderAttribute.TypeName, ByOrderAttribute.AssemblyName)]
public sealed class DashboardTests(DashboardFixture node, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };
    private readonly BrowserErrors _errors = new();
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        await node.WaitUntilIdleAsync();
        _page = await OpenAsync();
    }

    public async Task DisposeAsync() => await _page.Context.DisposeAsync();

    private async Task<IPage> OpenAsync(int width = 1280, int height = 900, Uri? baseAddress = null, RequestLog? requests = null)
    {
        var page = await node.NewPageAsync(width, height, baseAddress);
        _errors.Watch(page);
        requests?.Watch(page);
        var response = await page.GotoAsync("/");
        Assert.NotNull(response);
        Assert.Equal(200, response!.Status);
        return page;
    }

    private ILocator Row(string taskId) => _page.Locator($"#jobs-body tr[data-task-id='{taskId}']");

    [Fact, Order(1)]
    public async Task The_page_loads_without_errors_and_shows_the_idle_worker_and_the_queue_cap()
    {
        var response = await node.Client.GetAsync("/");
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);

        await Expect(_page.Locator("#overall-status")).ToHaveTextAsync("Idle", Soon);
        var worker = _page.Locator("#workers li.worker").First;
        await Expect(worker.Locator(".state")).ToHaveTextAsync("idle", Soon);
        await Expect(worker.Locator("[role=progressbar]")).ToBeHiddenAsync();
        await Expect(_page.Locator("#queue-max")).ToHaveTextAsync(DashboardFixture.MaxQueueSize.ToString(), Soon);
        await Expect(_page.Locator("#queue-pending")).ToHaveTextAsync("0");
        await Expect(_page.Locator("#queue-bar")).ToHaveAttributeAsync("aria-valuemax", DashboardFixture.MaxQueueSize.ToString());
        var live = await node.HasLiveRouteAsync();
        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", live ? "live" : "polling", new() { Timeout = 15_000 });
        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-live", live ? "/ws/status" : "");
        output.WriteLine($"connection: {await _page.Locator("body").GetAttributeAsync("data-connection")}");
        // The token form is labelled; the progress bars are announced as such.
        await Expect(_page.GetByLabel("Bearer token", new() { Exact = false })).ToBeVisibleAsync();
        await _page.WaitForTimeoutAsync(2500); // one polling round, so its errors (if any) are seen
        _errors.AssertNone();
    }

    [Fact, Order(2)]
    public async Task A_submitted_job_appears_its_progress_moves_and_it_completes()
    {
        var taskId = await node.SubmitAsync(node.ProgressRepo);
        var row = Row(taskId);
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(row.Locator("td.repo")).ToHaveTextAsync(node.ProgressRepo);

        // Watch the worker's progress bar through training: aria-valuenow must rise over time.
        var bar = _page.Locator("#workers [role=progressbar]").First;
        var seen = new List<int>();
        var messages = new HashSet<string>();
        var modes = new HashSet<string>();
        string? screenshot = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var status = await row.GetAttributeAsync("data-status");
            if (status is "completed" or "failed" or "cancelled" or "skipped") break;
            modes.Add(await _page.Locator("body").GetAttributeAsync("data-connection") ?? "");
            var message = await _page.Locator("#workers .message").First.TextContentAsync() ?? "";
            if (message != "") messages.Add(message);
            if (message.StartsWith("Training", StringComparison.Ordinal) && await bar.IsVisibleAsync())
            {
                var now = int.Parse((await bar.GetAttributeAsync("aria-valuenow"))!);
                if (seen.Count == 0 || seen[^1] != now) seen.Add(now);
                if (screenshot is null && now >= 20) screenshot = await ScreenshotAsync();
            }
            await Task.Delay(150);
        }
        output.WriteLine($"progress seen: {string.Join(", ", seen)}");
        output.WriteLine($"messages seen: {string.Join(" | ", messages)}");
        output.WriteLine($"connection: {string.Join(", ", modes)}");
        // With the node's WebSocket the page stays live (it polls only when the socket is missing or closed).
        Assert.Equal([await node.HasLiveRouteAsync() ? "live" : "polling"], modes);

        await Expect(row).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 30_000 });
        await Expect(row.Locator("td.outcome")).ToContainTextAsync("301 files");
        await Expect(row.Locator("td[data-label=Duration]")).ToHaveTextAsync(new Regex(@"^\d+(\.\d)? s$|min"));
        await Expect(row.Locator("button.cancel")).ToHaveCountAsync(0);
        Assert.Contains(messages, m => Regex.IsMatch(m, @"^Training\.\.\. \d+%$"));
        var rises = seen.Zip(seen.Skip(1), (before, after) => after > before).Count(rose => rose);
        Assert.True(rises >= 2, $"the progress bar should rise at least twice during the run; saw {string.Join(", ", seen)}");
        Assert.NotNull(screenshot);
        await Expect(_page.Locator("#workers .state").First).ToHaveTextAsync("idle", Soon);
        _errors.AssertNone();
    }

    private async Task<string> ScreenshotAsync(string name = "dashboard.png")
    {
        var path = Path.Combine(AppContext.BaseDirectory, "artifacts", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
        node.Report($"dashboard screenshot: {path}");
        return path;
    }

    [Fact, Order(3)]
    public async Task Cancel_asks_for_the_token_once_shows_refusals_and_cancels_a_running_job()
    {
        var taskId = await node.SubmitAsync(node.CancelRepo);
        var row = Row(taskId);
        await Expect(row).ToHaveAttributeAsync("data-status", "running", new() { Timeout = 15_000 });
        var cancel = row.Locator("button.cancel");
        var notice = _page.Locator("#notice");

        // No token yet: the page asks for one instead of sending the request.
        await cancel.ClickAsync();
        await Expect(notice).ToContainTextAsync("needs a token");
        await Expect(_page.Locator("#token-input")).ToBeFocusedAsync();

        // An unknown token: 401, said plainly.
        await _page.GetByLabel("Bearer token", new() { Exact = false }).FillAsync("not-a-real-token-0000000000");
        await _page.Locator("#token-save").ClickAsync();
        await cancel.ClickAsync();
        await Expect(notice).ToContainTextAsync("401");

        // A read-only token: 403.
        await _page.Locator("#token-input").FillAsync(DashboardFixture.ReadOnlyToken);
        await _page.Locator("#token-save").ClickAsync();
        await cancel.ClickAsync();
        await Expect(notice).ToContainTextAsync("403");
        // The node's own detail: a 403 may also mean the job is another token's.
        await Expect(notice).ToContainTextAsync("lacks the 'ingest' scope");
        Assert.Equal("running", await node.JobStatusAsync(taskId));

        // The admin token: cancelled, and the token stays in this tab's sessionStorage (the input is cleared).
        await _page.Locator("#token-input").FillAsync(DashboardFixture.AdminToken);
        await _page.Locator("#token-save").ClickAsync();
        Assert.Equal(DashboardFixture.AdminToken, await _page.EvaluateAsync<string>("() => sessionStorage.getItem('pharos.token')"));
        Assert.Equal("", await _page.Locator("#token-input").InputValueAsync());
        await cancel.ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 15_000 });
        await Expect(row.Locator(".state")).ToHaveTextAsync("cancelled");
        await Expect(row.Locator("button.cancel")).ToHaveCountAsync(0);
        await Expect(notice).ToContainTextAsync("Cancelled the job");
        Assert.Equal("cancelled", await node.JobStatusAsync(taskId));
        await Expect(_page.Locator("#workers .state").First).ToHaveTextAsync("idle", Soon);

        // Known page errors would be the 401/403 fetches, reported by the browser as failed loads: nothing else.
        _errors.Forget(e => e.Contains("the server responded with a status of 40", StringComparison.Ordinal));
        _errors.AssertNone();
    }

    [Fact, Order(4)]
    public async Task Markup_in_a_repository_url_is_shown_as_text_and_never_runs()
    {
        // The ingest route and the queue refuse '<' and '>'; a journal written before they did may still hold such a
        // task: write one into a new node's journal, as if an older release had, start the node on it and look.
        const string payload = "<img src=x onerror=\"window.__pwned=1;alert(1)\"><script>window.__pwned=2</script>";
        var repoUrl = $"/nonexistent/{payload}";
        const string taskId = "0000old0journal0task0markup00001";
        var dataDir = Path.Combine(node.DataDir, "old-journal-node");
        await OldJournal.WriteAsync(dataDir,
            new TaskEnqueued(taskId, repoUrl, Priority.Normal, DateTimeOffset.UtcNow, 86_400, "dashboard-test"));
        var (app, client) = await DashboardFixture.StartNodeAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TOKENS_FILE"] = node.TokensFile,
            ["PHAROS_DATA_DIR"] = dataDir,
            ["PHAROS_STANDALONE"] = "true",
            ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        });
        try
        {
            await _page.Context.DisposeAsync();
            _page = await OpenAsync(baseAddress: client.BaseAddress);
            var row = Row(taskId);
            await Expect(row.Locator("td.repo")).ToHaveTextAsync(repoUrl, Soon);
            await Expect(row).ToHaveAttributeAsync("data-status", new Regex("^(failed|completed|skipped)$"), new() { Timeout = 30_000 });
            await _page.WaitForTimeoutAsync(500);
            Assert.Equal(0, await _page.Locator("#jobs img, #workers img, main img, main script").CountAsync());
            Assert.Null(await _page.EvaluateAsync<object?>("() => window.__pwned ?? null"));
            _errors.AssertNone();
        }
        finally
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact, Order(5)]
    public async Task When_the_WebSocket_fails_the_page_polls_and_still_follows_a_job()
    {
        // Every WebSocket this page opens is closed at once (a proxy that drops upgrades); without the route on the
        // node the page polls from the start. Either way a job must still be followed to its end.
        await _page.Context.DisposeAsync();
        var context = await node.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = node.BaseAddress.ToString() });
        var attempts = 0;
        await context.RouteWebSocketAsync(new Regex("/ws/status"), ws => { Interlocked.Increment(ref attempts); _ = ws.CloseAsync(); });
        _page = await context.NewPageAsync();
        _page.PageError += (_, error) => _errors.Add($"page error: {error}");
        await _page.GotoAsync("/");

        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", "polling", new() { Timeout = 15_000 });
        var taskId = await node.SubmitAsync("/nonexistent/dashboard-fallback");
        var row = Row(taskId);
        await Expect(row).ToHaveAttributeAsync("data-status", "failed", new() { Timeout = 15_000 });
        await Expect(_page.Locator("#workers .state").First).ToHaveTextAsync("error", Soon);
        output.WriteLine($"WebSocket attempts closed by the test: {attempts}");
        if (await node.HasLiveRouteAsync()) Assert.True(attempts >= 1);
        else Assert.Equal(0, attempts);
        _errors.AssertNone();
    }

    [Fact, Order(6)]
    public async Task At_375_pixels_nothing_scrolls_sideways()
    {
        // A long repository path and a failed job's long error must wrap, not widen the page.
        var longPath = "/nonexistent/" + string.Join("/", Enumerable.Repeat("a-rather-long-directory-name-without-spaces", 4));
        var taskId = await node.SubmitAsync(longPath);
        await _page.Context.DisposeAsync();
        _page = await OpenAsync(width: 375, height: 812);
        var row = Row(taskId);
        await Expect(row).ToHaveAttributeAsync("data-status", new Regex("^(failed|completed)$"), new() { Timeout = 30_000 });
        await Expect(_page.Locator("#workers li.worker").First).ToBeVisibleAsync();

        var sizes = await _page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth]");
        output.WriteLine($"scrollWidth {sizes[0]}, clientWidth {sizes[1]}, body.scrollWidth {sizes[2]}");
        Assert.Equal(375, sizes[1]);
        Assert.True(sizes[0] <= sizes[1], $"the page is {sizes[0]} px wide in a {sizes[1]} px viewport");
        Assert.True(sizes[2] <= sizes[1], $"the body is {sizes[2]} px wide in a {sizes[1]} px viewport");
        var widest = await _page.EvaluateAsync<string>(
            "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)" +
            ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')");
        Assert.True(widest == "", $"elements past the right edge: {widest}");
        await ScreenshotAsync("dashboard-375.png");
        _errors.AssertNone();
    }

    [Fact, Order(7)]
    public async Task A_node_that_requires_a_read_token_pauses_the_page_until_one_is_given()
    {
        var (app, client) = await DashboardFixture.StartNodeAsync(new Dictionary<string, string?>
        {
            ["PHAROS_REQUIRE_READ_TOKEN"] = "true",
            ["PHAROS_TOKENS_FILE"] = node.TokensFile,
            ["PHAROS_DATA_DIR"] = Path.Combine(node.DataDir, "read-token-node"),
        });
        try
        {
            var live = (await client.GetAsync("/ws/status")).StatusCode != System.Net.HttpStatusCode.NotFound;
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode); // the page itself is public
            await _page.Context.DisposeAsync();
            var requests = new RequestLog();
            _page = await OpenAsync(baseAddress: client.BaseAddress, requests: requests);
            await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-read-token", "true");

            // No token: said plainly, and the page stops asking instead of repeating the refusal every 2 s.
            await Expect(_page.Locator("#notice")).ToContainTextAsync("401", new() { Timeout = 15_000 });
            await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", "paused");
            int errorsWhilePaused;
            errorsWhilePaused = _errors.Count;
            await _page.WaitForTimeoutAsync(2500);
            Assert.Equal(errorsWhilePaused, _errors.Count);

            // A read-only token is enough to watch: a header on every read, and a one-time ticket for the WebSocket.
            await _page.Locator("#token-input").FillAsync(DashboardFixture.ReadOnlyToken);
            await _page.Locator("#token-save").ClickAsync();
            await Expect(_page.Locator("#queue-max")).ToHaveTextAsync(DashboardFixture.MaxQueueSize.ToString(), Soon);
            await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", live ? "live" : "polling", Soon.ToAttribute());
            await Expect(_page.Locator("#notice")).Not.ToContainTextAsync("401");
            await _page.WaitForTimeoutAsync(2500);

            // The token was in no URL the page asked for, the WebSocket's included; it went as a header, reads and the
            // ticket among them.
            output.WriteLine(string.Join("\n", requests.Urls));
            requests.AssertNoUrlCarries(DashboardFixture.ReadOnlyToken);
            var authorized = await requests.WithAuthorizationAsync();
            Assert.Contains("GET /worker/status", authorized);
            if (live)
            {
                Assert.Contains("POST /ws/ticket", authorized);
                Assert.Contains(requests.WebSockets, url => url.Contains("/ws/status?ticket=", StringComparison.Ordinal));
            }

            // The only errors the browser reported are the refusals before the token (failed loads and handshakes).
            _errors.Forget(BrowserErrors.IsRefusalBeforeTheToken, output);
            _errors.AssertNone();
        }
        finally
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact, Order(8)]
    public async Task With_open_reads_the_page_sends_its_token_only_to_cancel_and_never_in_a_URL()
    {
        await _page.Context.DisposeAsync();
        var requests = new RequestLog();
        _page = await OpenAsync(requests: requests);
        var live = await node.HasLiveRouteAsync();
        var connected = live ? "live" : "polling";
        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-read-token", "false");
        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", connected, Soon.ToAttribute());

        // The admin token, as an operator gives it to cancel: the page reconnects with the token set.
        await _page.Locator("#token-input").FillAsync(DashboardFixture.AdminToken);
        await _page.Locator("#token-save").ClickAsync();
        await Expect(_page.Locator("body")).ToHaveAttributeAsync("data-connection", connected, Soon.ToAttribute());
        var taskId = await node.SubmitAsync(node.CancelRepo);
        var row = Row(taskId);
        await Expect(row).ToHaveAttributeAsync("data-status", "running", new() { Timeout = 15_000 });
        await row.Locator("button.cancel").ClickAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 15_000 });
        await Expect(_page.Locator("#workers .state").First).ToHaveTextAsync("idle", Soon);

        // Reads are open, so they went without the token and the WebSocket without a ticket: only the cancel carried it.
        output.WriteLine(string.Join("\n", requests.Urls));
        requests.AssertNoUrlCarries(DashboardFixture.AdminToken);
        Assert.Equal([$"DELETE /jobs/{taskId}"], await requests.WithAuthorizationAsync());
        Assert.DoesNotContain(requests.Urls, url => url.Contains("/ws/ticket", StringComparison.Ordinal));
        if (live) Assert.Contains(requests.WebSockets, url => url.EndsWith("/ws/status", StringComparison.Ordinal));
        Assert.All(requests.WebSockets, url => Assert.DoesNotContain("?", url, StringComparison.Ordinal));
        _errors.AssertNone();
    }
}

internal static class ExpectOptions
{
    public static LocatorAssertionsToHaveAttributeOptions ToAttribute(this LocatorAssertionsToHaveTextOptions options) =>
        new() { Timeout = options.Timeout };
}
