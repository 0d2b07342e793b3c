using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Pharos.CloudNode;
using Pharos.Testing.Git;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Pharos.Dashboard.Tests.Support;

/// <summary>
/// One standalone cloud node (cloud and edge worker in this process, SQLite journal in its own directory, Kestrel on a
/// free loopback port), real local git repositories for it to train on, and Debian's Chromium under Playwright.
/// The tests of the collection share them and run one after another (the node has one worker).
/// </summary>
public sealed class DashboardFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    /// <summary>A line in the run's console output (xunit.runner.json turns diagnostic messages on).</summary>
    public void Report(string message) => diagnostics.OnMessage(new DiagnosticMessage(message));

    public const string AdminToken = "dashboard-admin-token-0123456789";
    public const string ReadOnlyToken = "dashboard-read-only-token-abcdefgh";
    public const int MaxQueueSize = 7;
    /// <summary>Debian's Chromium; PHAROS_CHROMIUM may name another build.</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("PHAROS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private readonly GitRepositoryFixture _git = new();
    private WebApplication? _app;
    private string _dataDir = "";

    public HttpClient Client { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Repositories of a few hundred Python modules importing each other, made once.</summary>
    public string ProgressRepo { get; private set; } = "";
    public string CancelRepo { get; private set; } = "";

    /// <summary>networkx (python3-networkx) without its tests, in one commit: about 280 modules of real Python code.</summary>
    public string NetworkxRepo { get; private set; } = "";
    public const string NetworkxPath = PythonSources.NetworkxPath;
    private Task<string>? _networkxResult;

    public async Task InitializeAsync()
    {
        // The browser first: without it nothing here can run, and the reason must be plain, not a skip.
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"Chromium is not installed at {ChromiumPath}: run `apt-get install -y chromium` (./test.sh does it). " +
                "The dashboard tests cannot run without a browser.");
        try
        {
            Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox"],
            });
        }
        catch (PlaywrightException e)
        {
            throw new InvalidOperationException($"Chromium at {ChromiumPath} did not start under Playwright: {e.Message}", e);
        }

        ProgressRepo = PythonRepository("dashboard-progress", 300);
        CancelRepo = PythonRepository("dashboard-cancel", 300);
        NetworkxRepo = NetworkxRepository("networkx");

        _dataDir = Directory.CreateTempSubdirectory("pharos-dashboard-").FullName;
        var tokens = Path.Combine(_dataDir, "tokens.json");
        await File.WriteAllTextAsync(tokens, JsonSerializer.Serialize(new object[]
        {
            new { name = "dashboard", sha256 = Sha256Hex(ReadOnlyToken), scopes = new[] { "read" } },
        }));
        (_app, Client) = await StartNodeAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TOKENS_FILE"] = tokens,
            ["PHAROS_DATA_DIR"] = Path.Combine(_dataDir, "node"),
            ["PHAROS_STANDALONE"] = "true",
            ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
            ["PHAROS_TRAIN_EPOCHS"] = Environment.GetEnvironmentVariable("PHAROS_DASHBOARD_TEST_EPOCHS") ?? "70",
            ["PHAROS_TRAIN_DIMENSIONS"] = "32",
            ["PHAROS_TRAIN_THREADS"] = "1",
        });
        BaseAddress = Client.BaseAddress!;
        await WaitAsync(async () => (await StatusAsync()).GetProperty("workers").GetArrayLength() > 0, TimeSpan.FromSeconds(30), "the standalone worker to register");
    }

    /// <summary>
    /// A cloud node on Kestrel (loopback, a free port), an Akka cluster of one (a free port), its SQLite journal in
    /// PHAROS_DATA_DIR; ready when it answers. The caller stops and disposes it.
    /// </summary>
    public static async Task<(WebApplication App, HttpClient Client)> StartNodeAsync(IReadOnlyDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["PHAROS_ADMIN_TOKEN"] = AdminToken,
            ["PHAROS_HTTP_URLS"] = "http://127.0.0.1:0",
            ["PHAROS_CLUSTER_PORT"] = "0",
            ["PHAROS_SEEDS"] = "",
            ["MAX_QUEUE_SIZE"] = MaxQueueSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides) settings[key] = value;
        var app = CloudApp.Build([], settings);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        await WaitAsync(async () => (await client.GetAsync("/ready")).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "the node to be ready");
        return (app, client);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        _git.Dispose();
        try { if (_dataDir != "") Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static string Sha256Hex(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A Python package of <paramref name="modules"/> modules importing each other, in one commit.</summary>
    private string PythonRepository(string name, int modules)
    {
        var dir = Path.Combine(_git.Root, name);
        Directory.CreateDirectory(Path.Combine(dir, "pkg"));
        File.WriteAllText(Path.Combine(dir, "pkg", "__init__.py"), "");
        for (var i = 0; i < modules; i++)
            File.WriteAllText(Path.Combine(dir, "pkg", $"m{i}.py"),
                $"import pkg.m{(i + 1) % modules}\nfrom pkg import m{(i * 7 + 3) % modules}\nfrom pkg.m{(i * 13 + 5) % modules} import f{(i * 13 + 5) % modules}\n\ndef f{i}():\n    return {i}\n");
        GitCli.Run(dir, "init", "-q");
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "modules");
        return dir;
    }

    /// <summary>
    /// networkx (python3-networkx, which test.sh installs) copied without its tests and __pycache__ into a repository
    /// of its own, under <c>networkx/</c> as in its source tree, so that its imports resolve.
    /// </summary>
    private string NetworkxRepository(string name)
    {
        if (!Directory.Exists(NetworkxPath))
            throw new InvalidOperationException(
                $"networkx is not installed at {NetworkxPath}: run `apt-get install -y python3-networkx` (./test.sh does it). " +
                "The map tests draw a real repository.");
        var dir = Path.Combine(_git.Root, name);
        PythonSources.CopyWithoutTests(NetworkxPath, Path.Combine(dir, "networkx"));
        GitCli.Run(dir, "init", "-q");
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "networkx");
        return dir;
    }

    /// <summary>
    /// The repository URL under which the node keeps networkx's result: ingested once, by the real path (POST
    /// /ingest, the standalone worker clones, trains and delivers it to the node's result store), on first use.
    /// </summary>
    public Task<string> NetworkxResultAsync() => _networkxResult ??= IngestAsync(NetworkxRepo);

    /// <summary>Submits the repository and waits until its job completes; the job's (normalised) repository URL.</summary>
    public async Task<string> IngestAsync(string repo)
    {
        var taskId = await SubmitAsync(repo);
        var status = "";
        await WaitAsync(async () => (status = await JobStatusAsync(taskId)) is "completed" or "failed" or "cancelled" or "skipped",
            TimeSpan.FromMinutes(3), $"the job for {repo} to end");
        var job = await Client.GetFromJsonAsync<JsonElement>($"/jobs/{taskId}");
        if (status != "completed") throw new InvalidOperationException($"The job for {repo} ended {status}: {job}");
        return job.GetProperty("repo_url").GetString()!;
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900, Uri? baseAddress = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (baseAddress ?? BaseAddress).ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    /// <summary>True when the node maps the live WebSocket (a plain GET is then refused with 400, not 404).</summary>
    public async Task<bool> HasLiveRouteAsync() => (await Client.GetAsync("/ws/status")).StatusCode != HttpStatusCode.NotFound;

    public string TokensFile => Path.Combine(_dataDir, "tokens.json");
    public string DataDir => _dataDir;

    public async Task<JsonElement> StatusAsync() => await Client.GetFromJsonAsync<JsonElement>("/worker/status");

    public async Task<string> SubmitAsync(string repo, string token = AdminToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ingest")
        {
            Content = JsonContent.Create(new Dictionary<string, string> { ["repo_url"] = repo }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"POST /ingest answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("task_id").GetString()!;
    }

    public async Task<string> JobStatusAsync(string taskId) =>
        (await Client.GetFromJsonAsync<JsonElement>($"/jobs/{taskId}")).GetProperty("status").GetString()!;

    /// <summary>Waits until no task is pending or running, so each test starts on an idle worker.</summary>
    public Task WaitUntilIdleAsync() => WaitAsync(async () =>
    {
        var queue = (await StatusAsync()).GetProperty("queue");
        return queue.GetProperty("pending").GetInt32() == 0 && queue.GetProperty("in_flight").GetInt32() == 0;
    }, TimeSpan.FromSeconds(60), "the queue to drain");

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(100);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
