using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Pharos.Actors.Results;
using Pharos.Dashboard.Tests.Support;
using Pharos.Testing.Results;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Pharos.Dashboard.Tests;

/// <summary>
/// The Repositories section in Debian's Chromium: the list of stored results, a repository's map (one point per file,
/// placed by PCA of its embeddings, coloured by directory), the path on hover and the similar files on a click. The
/// repository is networkx, ingested by the real path: POST /ingest, the node's worker clones and trains it and
/// delivers the result into the node's store.
/// </summary>
[Collection(DashboardCollection.Name)]
[TestCaseOrderer(ByOrderAttribute.TypeName, ByOrderAttribute.AssemblyName)]
public sealed class RepositoriesTests(DashboardFixture node, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Soon = new() { Timeout = 15_000 };
    private static readonly LocatorAssertionsToHaveAttributeOptions Drawn = new() { Timeout = 30_000 };
    private readonly BrowserErrors _errors = new();
    private IPage _page = null!;

    /// <summary>A point of the map as the page publishes it (CSS pixels from the canvas's top-left corner).</summary>
    private sealed record MapPoint(string Path, double X, double Y, string Colour);

    public async Task InitializeAsync()
    {
        await node.WaitUntilIdleAsync();
        _page = await OpenAsync();
    }

    public async Task DisposeAsync() => await _page.Context.DisposeAsync();

    private async Task<IPage> OpenAsync(Uri? baseAddress = null, int width = 1280, int height = 900)
    {
        var page = await node.NewPageAsync(width, height, baseAddress);
        _errors.Watch(page);
        var response = await page.GotoAsync("/");
        Assert.Equal(200, response!.Status);
        return page;
    }

    private ILocator RepoRow(string url) => _page.Locator($"#repos-body tr[data-repo-url='{url}']");

    private async Task OpenMapAsync(string url)
    {
        await RepoRow(url).Locator("button.link").ClickAsync(new() { Timeout = 15_000 });
        await Expect(_page.Locator("#repo-view")).ToHaveAttributeAsync("data-state", "ready", Drawn);
    }

    private async Task<List<MapPoint>> PointsAsync()
    {
        var points = await _page.EvaluateAsync<JsonElement>("() => window.pharosMap.points()");
        return [.. points.EnumerateArray().Select(p => new MapPoint(p.GetProperty("path").GetString()!, p.GetProperty("x").GetDouble(),
            p.GetProperty("y").GetDouble(), p.GetProperty("colour").GetString()!))];
    }

    /// <summary>The colour of the canvas pixel at the centre of each point, read back from the canvas as drawn.</summary>
    private async Task<string[]> PixelsAtPointsAsync() => await _page.EvaluateAsync<string[]>(
        """
        () => {
          const canvas = document.getElementById('map');
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          const ratio = canvas.width / canvas.clientWidth;
          const hex = (v) => v.toString(16).padStart(2, '0');
          return window.pharosMap.points().map((p) => {
            const at = 4 * (Math.floor(p.y * ratio) * canvas.width + Math.floor(p.x * ratio));
            return '#' + hex(pixels[at]) + hex(pixels[at + 1]) + hex(pixels[at + 2]);
          });
        }
        """);

    /// <summary>The point farthest from its nearest neighbour: the one under the pointer at its centre, whatever the rounding.</summary>
    private static MapPoint MostIsolated(IReadOnlyList<MapPoint> points) =>
        points[Enumerable.Range(0, points.Count).MaxBy(i => NearestDistance(points, i))];

    private static double NearestDistance(IReadOnlyList<MapPoint> points, int i)
    {
        var nearest = double.MaxValue;
        for (var j = 0; j < points.Count; j++)
        {
            if (i == j) continue;
            var dx = points[i].X - points[j].X;
            var dy = points[i].Y - points[j].Y;
            nearest = Math.Min(nearest, dx * dx + dy * dy);
        }
        return Math.Sqrt(nearest);
    }

    private static Position At(MapPoint point) => new() { X = (float)point.X, Y = (float)point.Y };

    private static async Task<JsonElement> GetAsync(HttpClient client, string path, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static string Query(string url) => Uri.EscapeDataString(url);

    /// <summary>Clicks the point and checks the list beside the map against GET /repos/similar: same files, same order, same scores.</summary>
    private async Task AssertSimilarListedAsync(HttpClient client, string url, MapPoint point, int files, string? token = null)
    {
        await _page.Locator("#map").ClickAsync(new() { Position = At(point) });
        var list = _page.Locator("#similar-list");
        await Expect(list).ToHaveAttributeAsync("data-path", point.Path);
        await Expect(list).ToHaveAttributeAsync("data-state", "ready", Drawn);
        await Expect(_page.Locator("#similar-heading")).ToHaveTextAsync($"Most similar to {point.Path}");

        var expected = (await GetAsync(client, $"/repos/similar?repo_url={Query(url)}&path={Query(point.Path)}&k=10", token))
            .GetProperty("results").EnumerateArray()
            .Select(r => (Path: r.GetProperty("path").GetString()!, Score: r.GetProperty("score").GetDouble())).ToList();
        Assert.Equal(Math.Min(10, files - 1), expected.Count);
        var items = list.Locator("li");
        await Expect(items).ToHaveCountAsync(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var item = items.Nth(i);
            Assert.Equal(expected[i].Path, await item.GetAttributeAsync("data-path"));
            Assert.Equal(expected[i].Path, await item.Locator("button").TextContentAsync());
            Assert.Equal(expected[i].Score, double.Parse((await item.GetAttributeAsync("data-score"))!, CultureInfo.InvariantCulture));
            var shown = double.Parse((await item.Locator(".score").TextContentAsync())!, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(shown - expected[i].Score) <= 0.0005, $"row {i} shows {shown} for the score {expected[i].Score}");
        }
        output.WriteLine($"similar to {point.Path}: {string.Join(", ", expected.Select(e => $"{e.Path} {e.Score:0.000}"))}");
    }

    [Fact, Order(1)]
    public async Task A_repository_appears_in_the_list_when_its_job_completes_without_a_reload()
    {
        var before = await _page.Locator("#repos-body tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.repoUrl)");
        var url = await node.NetworkxResultAsync();
        Assert.DoesNotContain(url, before);

        // The open page learns of the completed job from its live feed and reads the list again.
        var row = RepoRow(url);
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Expect(_page.Locator("#repos-empty")).ToBeHiddenAsync();
        var listed = (await GetAsync(node.Client, "/repos")).GetProperty("repos").EnumerateArray().ToList();
        var stored = listed.Single(r => r.GetProperty("repo_url").GetString() == url);
        var commit = stored.GetProperty("commit_sha").GetString()!;
        await Expect(row.Locator("td.commit")).ToHaveTextAsync(commit[..10]);
        await Expect(row.Locator("td[data-label=Files]")).ToHaveTextAsync(stored.GetProperty("files").GetInt32().ToString(CultureInfo.InvariantCulture));
        await Expect(row.Locator("td[data-label=Dims]")).ToHaveTextAsync(stored.GetProperty("dims").GetInt32().ToString(CultureInfo.InvariantCulture));
        await Expect(row.Locator("time")).ToHaveAttributeAsync("datetime", stored.GetProperty("trained_at").GetString()!);
        // Newest first, as GET /repos lists them.
        var shown = await _page.Locator("#repos-body tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.repoUrl)");
        Assert.Equal(listed.Select(r => r.GetProperty("repo_url").GetString()), shown);
        Assert.Equal(url, shown[0]);
        _errors.AssertNone();
    }

    [Fact, Order(2)]
    public async Task The_map_draws_exactly_one_point_per_file_coloured_by_directory_with_the_imports()
    {
        var url = await node.NetworkxResultAsync();
        var embeddings = await GetAsync(node.Client, $"/repos/embeddings?repo_url={Query(url)}");
        var files = embeddings.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!).ToList();
        var graph = await GetAsync(node.Client, $"/repos/graph?repo_url={Query(url)}");
        var imports = graph.GetProperty("edges").EnumerateArray().Count(e => e[0].GetString() != e[1].GetString());
        Assert.True(files.Count > 200, $"networkx has {files.Count} files");

        await OpenMapAsync(url);
        var canvas = _page.Locator("#map");
        await Expect(canvas).ToHaveAttributeAsync("data-points", files.Count.ToString(CultureInfo.InvariantCulture));
        await Expect(canvas).ToHaveAttributeAsync("data-edges", imports.ToString(CultureInfo.InvariantCulture));
        await Expect(canvas).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex($"^Map of the {files.Count} files of "));
        await Expect(RepoRow(url).Locator("button.link")).ToHaveAttributeAsync("aria-pressed", "true");

        // One point per file: every path once, none missing, and spread out (a projection, not a heap).
        var points = await PointsAsync();
        Assert.Equal(files.Order(StringComparer.Ordinal), points.Select(p => p.Path).Order(StringComparer.Ordinal));
        var places = points.Select(p => (Math.Round(p.X), Math.Round(p.Y))).Distinct().Count();
        Assert.True(places > files.Count / 2, $"{files.Count} files on only {places} distinct pixels");
        var box = (await canvas.BoundingBoxAsync())!;
        Assert.All(points, p => Assert.True(p.X >= 0 && p.X <= box.Width && p.Y >= 0 && p.Y <= box.Height, $"{p.Path} at ({p.X}, {p.Y}) is off the map"));

        // Colour by top-level directory below networkx/ (the directory every file shares): the legend counts the files
        // of each, and each point has its directory's colour; the pixel under each point is a legend colour.
        var legend = await _page.Locator("#map-legend li").EvaluateAllAsync<JsonElement>(
            "items => items.map(i => ({ label: i.querySelector('.label').textContent, count: i.querySelector('.count').textContent, colour: i.dataset.colour }))");
        var entries = legend.EnumerateArray().Select(e => (Label: e.GetProperty("label").GetString()!,
            Count: int.Parse(e.GetProperty("count").GetString()!.Trim('(', ')'), CultureInfo.InvariantCulture),
            Colour: e.GetProperty("colour").GetString()!)).ToList();
        output.WriteLine($"legend: {string.Join(", ", entries.Select(e => $"{e.Label} {e.Count} {e.Colour}"))}");
        Assert.True(entries.Count >= 5, "networkx has several subpackages");
        Assert.Equal(files.Count, entries.Sum(e => e.Count));
        Assert.Equal(entries.Count, entries.Select(e => e.Colour).Distinct().Count());
        static string TopDirectory(string path) => path.Split('/') is { Length: > 2 } parts ? $"networkx/{parts[1]}/" : "networkx/";
        var named = entries.Where(e => !e.Label.StartsWith("other directories", StringComparison.Ordinal)).ToDictionary(e => e.Label);
        foreach (var (label, entry) in named) Assert.Equal(files.Count(f => TopDirectory(f) == label), entry.Count);
        var other = entries.Where(e => e.Label.StartsWith("other directories", StringComparison.Ordinal)).Select(e => e.Colour).SingleOrDefault();
        Assert.All(points, p => Assert.Equal(named.TryGetValue(TopDirectory(p.Path), out var e) ? e.Colour : other, p.Colour));
        // Drawn where the page says: the canvas is never blank at a point, and a point with no other near enough to
        // overlap it (12 px apart, points being at most 4 px in radius) shows exactly its own colour there.
        var pixels = await PixelsAtPointsAsync();
        var apart = 0;
        for (var i = 0; i < points.Count; i++)
        {
            Assert.True(pixels[i] != "#ffffff", $"{points[i].Path}: the canvas is blank at its point");
            if (NearestDistance(points, i) < 12) continue;
            apart++;
            Assert.True(points[i].Colour == pixels[i], $"{points[i].Path}: the canvas shows {pixels[i]} at its point, not {points[i].Colour}");
        }
        // Enough points stand apart for the colour check to mean something; how many depends on the training's layout
        // (a quarter of them in one run, under it in another), so only a floor is asked for.
        Assert.True(apart >= 20, $"only {apart} of {files.Count} points stand apart");
        _errors.AssertNone();
    }

    [Fact, Order(3)]
    public async Task Hovering_a_point_shows_its_path()
    {
        var url = await node.NetworkxResultAsync();
        await OpenMapAsync(url);
        var tip = _page.Locator("#map-tip");
        await Expect(tip).ToBeHiddenAsync();
        var points = await PointsAsync();
        var target = MostIsolated(points);
        var pixels = await PixelsAtPointsAsync();
        Assert.Equal(target.Colour, pixels[points.IndexOf(target)]); // drawn where the page says, in its colour

        await _page.Locator("#map").HoverAsync(new() { Position = At(target) });
        await Expect(tip).ToBeVisibleAsync();
        await Expect(tip).ToHaveTextAsync(target.Path);
        // Another point: the tooltip follows.
        var second = MostIsolated([.. points.Where(p => p != target)]);
        await _page.Locator("#map").HoverAsync(new() { Position = At(second) });
        await Expect(tip).ToHaveTextAsync(second.Path);
        // The map's corner is inside its margin, where no point is: no tooltip.
        await _page.Locator("#map").HoverAsync(new() { Position = new() { X = 1, Y = 1 } });
        await Expect(tip).ToBeHiddenAsync();
        _errors.AssertNone();
    }

    [Fact, Order(4)]
    public async Task Clicking_a_file_lists_its_ten_most_similar_files_with_scores_in_the_order_of_the_api()
    {
        var url = await node.NetworkxResultAsync();
        await OpenMapAsync(url);
        var points = await PointsAsync();
        await Expect(_page.Locator("#similar-list li")).ToHaveCountAsync(0);
        await AssertSimilarListedAsync(node.Client, url, MostIsolated(points), points.Count);

        // The listed files are buttons: choosing one (by keyboard too) lists the files like it.
        var next = await _page.Locator("#similar-list li").First.GetAttributeAsync("data-path");
        await _page.Locator("#similar-list li button").First.FocusAsync();
        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page.Locator("#similar-list")).ToHaveAttributeAsync("data-path", next!);
        await Expect(_page.Locator("#similar-list")).ToHaveAttributeAsync("data-state", "ready", Drawn);
        await Expect(_page.Locator("#similar-list li")).ToHaveCountAsync(10);
        Assert.DoesNotContain(next, await _page.Locator("#similar-list li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.path)"));
        _errors.AssertNone();
    }

    [Fact, Order(5)]
    public async Task A_repository_of_ten_thousand_files_is_drawn_hovered_and_clicked()
    {
        // Size, not training, is what this is about: a result of 10,000 files put straight into the node's store.
        const string url = "https://github.com/pharos-tests/ten-thousand-files";
        const int files = 10_000;
        var store = node.Services.GetRequiredService<IResultStore>();
        await store.PutAsync(ResultSamples.Bundle(url, "0123456789abcdef0123456789abcdef01234567", "task-10k", files: files, dims: 32, seed: 13).ToBytes());
        try
        {
            await _page.ReloadAsync();
            await OpenMapAsync(url);
            await Expect(_page.Locator("#map")).ToHaveAttributeAsync("data-points", files.ToString(CultureInfo.InvariantCulture));
            await Expect(_page.Locator("#map")).ToHaveAttributeAsync("data-edges", (files - 1).ToString(CultureInfo.InvariantCulture));
            var points = await PointsAsync();
            Assert.Equal(files, points.Select(p => p.Path).Distinct().Count());
            var target = MostIsolated(points);
            await _page.Locator("#map").HoverAsync(new() { Position = At(target) });
            await Expect(_page.Locator("#map-tip")).ToHaveTextAsync(target.Path);
            await AssertSimilarListedAsync(node.Client, url, target, files);
            _errors.AssertNone();
        }
        finally
        {
            await store.DeleteAsync(url);
        }
    }

    [Fact, Order(6)]
    public async Task A_read_only_token_sees_no_repositories_yet_on_an_empty_store_then_the_map_of_a_stored_one()
    {
        var (app, client) = await DashboardFixture.StartNodeAsync(new Dictionary<string, string?>
        {
            ["PHAROS_REQUIRE_READ_TOKEN"] = "true",
            ["PHAROS_TOKENS_FILE"] = node.TokensFile,
            ["PHAROS_DATA_DIR"] = Path.Combine(node.DataDir, "repos-read-token-node"),
            ["PHAROS_ALLOW_LOCAL_REPOS"] = "true", // the fixture's repositories are local paths
        });
        try
        {
            await _page.Context.DisposeAsync();
            _page = await OpenAsync(client.BaseAddress);
            await _page.Locator("#token-input").FillAsync(DashboardFixture.ReadOnlyToken);
            await _page.Locator("#token-save").ClickAsync();

            // Nothing stored on this node yet: said in words, no empty table.
            await Expect(_page.Locator("#repos-empty")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(_page.Locator("#repos-empty")).ToContainTextAsync("No repositories yet");
            await Expect(_page.Locator("#repos")).ToBeHiddenAsync();
            await Expect(_page.Locator("#repo-view")).ToBeHiddenAsync();

            // networkx's real result, as the fixture's node stored it, now stored here too.
            var url = await node.NetworkxResultAsync();
            var bundle = (await node.Services.GetRequiredService<IResultStore>().GetAsync(url))!;
            await app.Services.GetRequiredService<IResultStore>().PutAsync(bundle.ToBytes());
            await _page.ReloadAsync(); // the token stays in the tab
            await Expect(RepoRow(url)).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(_page.Locator("#repos-empty")).ToBeHiddenAsync();
            await OpenMapAsync(url);
            await Expect(_page.Locator("#map")).ToHaveAttributeAsync("data-points", bundle.NodeCount.ToString(CultureInfo.InvariantCulture));
            var points = await PointsAsync();
            await AssertSimilarListedAsync(client, url, MostIsolated(points), points.Count, DashboardFixture.ReadOnlyToken);

            // The only errors are the refusals before the token was given.
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

    [Fact, Order(7)]
    public async Task At_375_pixels_the_map_and_its_similar_files_fit_the_width()
    {
        var url = await node.NetworkxResultAsync();
        await _page.Context.DisposeAsync();
        _page = await OpenAsync(width: 375, height: 812);
        await OpenMapAsync(url);
        var points = await PointsAsync();
        await AssertSimilarListedAsync(node.Client, url, MostIsolated(points), points.Count);
        await _page.Locator("#map").HoverAsync(new() { Position = At(MostIsolated(points)) });
        await Expect(_page.Locator("#map-tip")).ToBeVisibleAsync();

        var sizes = await _page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(sizes[0] <= sizes[1], $"the page is {sizes[0]} px wide in a {sizes[1]} px viewport");
        var widest = await _page.EvaluateAsync<string>(
            "() => [...document.querySelectorAll('#repos-card *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)" +
            ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')");
        Assert.True(widest == "", $"elements past the right edge: {widest}");
        _errors.AssertNone();
    }

    /// <summary>
    /// The picture in the docs (docs/img/dashboard-repositories.png): networkx's map with a file chosen and hovered.
    /// Run alone with <c>--filter Screenshot=docs</c>; the image is written under the test output's artifacts/.
    /// </summary>
    [Fact, Order(8), Trait("Screenshot", "docs")]
    public async Task A_screenshot_of_the_map_of_networkx()
    {
        var url = await node.NetworkxResultAsync();
        await _page.Context.DisposeAsync();
        _page = await OpenAsync(width: 1000, height: 1000);
        await OpenMapAsync(url);
        var points = await PointsAsync();
        // A file of networkx/classes (Graph and its kin), the one standing most apart so the pointer finds it.
        var chosen = points[Enumerable.Range(0, points.Count).Where(i => points[i].Path.StartsWith("networkx/classes/", StringComparison.Ordinal))
            .MaxBy(i => NearestDistance(points, i))];
        await AssertSimilarListedAsync(node.Client, url, chosen, points.Count);
        // Scrolled first: a scroll under a resting pointer would move it off the point and hide the tooltip.
        await _page.Locator("#repos-card").ScrollIntoViewIfNeededAsync();
        await _page.Locator("#map").HoverAsync(new() { Position = At(chosen) });
        await Expect(_page.Locator("#map-tip")).ToHaveTextAsync(chosen.Path);

        var path = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard-repositories.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await _page.Locator("#repos-card").ScreenshotAsync(new() { Path = path });
        var size = new FileInfo(path).Length;
        output.WriteLine($"screenshot: {path} ({size / 1024} KB)");
        node.Report($"repositories screenshot: {path} ({size / 1024} KB)");
        Assert.True(size < 300 * 1024, $"the screenshot is {size / 1024} KB; the docs keep images under 300 KB");
        _errors.AssertNone();
    }

    [Fact, Order(9)]
    public async Task A_repository_embedded_at_two_refs_has_a_row_per_ref_and_each_draws_its_own_map()
    {
        // The default branch, then a tag of the same repository: both results kept, each listed with its ref.
        const string url = "https://github.com/pharos-tests/two-refs";
        var store = node.Services.GetRequiredService<IResultStore>();
        await store.PutAsync(ResultSamples.Bundle(url, "aaaaaaaaaaaa1111", "task-main", minutes: 1_000_000, files: 12, dims: 8, seed: 5).ToBytes());
        await store.PutAsync(ResultSamples.Bundle(url, "bbbbbbbbbbbb2222", "task-tag", minutes: 1_000_001, files: 20, dims: 8, seed: 6, gitRef: "v1.0").ToBytes());
        try
        {
            await _page.ReloadAsync();
            var main = _page.Locator($"#repos-body tr[data-repo-url='{url}'][data-ref='']");
            var tag = _page.Locator($"#repos-body tr[data-repo-url='{url}'][data-ref='v1.0']");
            await Expect(tag).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(main.Locator("td.ref")).ToHaveTextAsync("default branch");
            await Expect(tag.Locator("td.ref")).ToHaveTextAsync("v1.0");
            await Expect(main.Locator("td.commit")).ToHaveTextAsync("aaaaaaaaaa");
            await Expect(tag.Locator("td.commit")).ToHaveTextAsync("bbbbbbbbbb");
            // Newest first: the tag's row, then the default branch's.
            var shown = await _page.Locator($"#repos-body tr[data-repo-url='{url}']").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.ref)");
            Assert.Equal(["v1.0", ""], shown);

            await main.Locator("button.link").ClickAsync();
            await Expect(_page.Locator("#repo-view")).ToHaveAttributeAsync("data-state", "ready", Drawn);
            await Expect(_page.Locator("#map")).ToHaveAttributeAsync("data-points", "12");
            await Expect(main.Locator("button.link")).ToHaveAttributeAsync("aria-pressed", "true");
            await Expect(tag.Locator("button.link")).ToHaveAttributeAsync("aria-pressed", "false");

            await tag.Locator("button.link").ClickAsync();
            await Expect(_page.Locator("#map")).ToHaveAttributeAsync("data-points", "20", Drawn);
            await Expect(_page.Locator("#map-heading")).ToContainTextAsync("v1.0 · commit bbbbbbbbbb");
            var points = await PointsAsync();
            await _page.Locator("#map").ClickAsync(new() { Position = At(MostIsolated(points)) });
            await Expect(_page.Locator("#similar-list li")).ToHaveCountAsync(10);
            // The similar files of the tag's result: pkg/m019.py exists only there.
            Assert.Contains("pkg/m019.py", points.Select(p => p.Path));
            _errors.AssertNone();
        }
        finally
        {
            await store.DeleteAsync(url);
        }
    }
}
