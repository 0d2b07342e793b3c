using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pharos.Actors.Ingest;
using Pharos.CloudNode;
using Pharos.CloudNode.Auth;
using Pharos.Messages.Serialization;
using Pharos.Testing.Logging;
using Pharos.Testing.Net;
using Xunit;

namespace Pharos.Testing.Cloud;

/// <summary>
/// A real cloud node on Kestrel (loopback, a free port), a real Akka cluster of one (free port) and a SQLite journal
/// in its own directory. Disposing stops it; the directory goes only when the test owns it. Its repository URL
/// validator resolves names with <see cref="TestDns"/> (every name public unless the test passes its own): the
/// machine may have no DNS, and a name that does not resolve is refused.
/// </summary>
public sealed class CloudNodeHost : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";

    private readonly WebApplication _app;
    private readonly bool _ownsDataDir;

    public HttpClient Client { get; }
    public string DataDir { get; }
    public CollectingLoggerProvider Logs { get; }
    public IServiceProvider Services => _app.Services;

    private CloudNodeHost(WebApplication app, HttpClient client, string dataDir, bool ownsDataDir, CollectingLoggerProvider logs)
    {
        _app = app;
        Client = client;
        DataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        Logs = logs;
    }

    public static string NewDataDir() => Directory.CreateTempSubdirectory("pharos-test-").FullName;

    public static async Task<CloudNodeHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string? dataDir = null,
        HostResolver? dns = null)
    {
        var ownsDataDir = dataDir is null;
        dataDir ??= NewDataDir();
        var overrides = new Dictionary<string, string?>
        {
            ["PHAROS_ADMIN_TOKEN"] = AdminToken,
            ["PHAROS_DATA_DIR"] = dataDir,
            ["PHAROS_HTTP_URLS"] = "http://127.0.0.1:0",
            ["PHAROS_CLUSTER_PORT"] = "0",
            ["PHAROS_SEEDS"] = "",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) overrides[key] = value;

        var logs = new CollectingLoggerProvider();
        var app = CloudApp.Build([], overrides, builder =>
        {
            builder.Logging.AddProvider(logs);
            builder.Services.AddSingleton(dns ?? TestDns.AllPublic);
        });
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        var host = new CloudNodeHost(app, client, dataDir, ownsDataDir, logs);
        await host.WaitUntilReadyAsync();
        return host;
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if ((await Client.GetAsync("/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The cloud node did not become ready in 30 s.");
            await Task.Delay(50);
        }
    }

    public ActorSystem ActorSystem => Services.GetRequiredService<ActorSystem>();
    public AuthFailureLog AuthFailures => Services.GetRequiredService<AuthFailureLog>();

    public HttpRequestMessage Request(HttpMethod method, string path, string? token = AdminToken, object? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null) request.Content = JsonContent.Create(json);
        return request;
    }

    public Task<HttpResponseMessage> IngestAsync(string repoUrl, string? priority = null, string? token = AdminToken) =>
        Client.SendAsync(Request(HttpMethod.Post, "/ingest", token, priority is null
            ? new Dictionary<string, string> { ["repo_url"] = repoUrl }
            : new Dictionary<string, string> { ["repo_url"] = repoUrl, ["priority"] = priority }));

    public async Task<JsonElement> JsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(PharosJson.Options);
    }

    public async Task<int> JobCountAsync() => (await JsonAsync("/jobs?limit=100")).GetProperty("jobs").GetArrayLength();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDataDir) TryDelete(DataDir);
    }

    public static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One node shared by the tests of a class that do not need a node of their own.</summary>
public sealed class SharedCloudNode : IAsyncLifetime
{
    public CloudNodeHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
    {
        ["MAX_QUEUE_SIZE"] = "1000",
        ["PHAROS_TOKENS_FILE"] = TokensFile.Write(),
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>A tokens file with a read-only token, to see 403s.</summary>
public static class TokensFile
{
    public const string ReadOnlyToken = "read-only-token-abcdefghijklmnop";
    public const string IngestToken = "ingest-token-abcdefghijklmnopqrs";

    public static string Write()
    {
        var path = Path.Combine(CloudNodeHost.NewDataDir(), "tokens.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new object[]
        {
            new { name = "dashboard", sha256 = TokenHash.Sha256Hex(ReadOnlyToken), scopes = new[] { "read" } },
            new { name = "ci", sha256 = TokenHash.Sha256Hex(IngestToken), scopes = new[] { "ingest", "read" }, requests_per_minute = 60 },
        }));
        return path;
    }
}
