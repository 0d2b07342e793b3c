using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pharos.Testing.Git;
using Xunit.Sdk;

namespace Pharos.Testing.Nodes;

/// <summary>
/// A cloud node process (<c>Pharos.CloudNode.dll</c>) on free loopback ports with its own data directory, ready
/// (<c>GET /ready</c> answered 200) when <see cref="StartAsync"/> returns; an HttpClient that presents the admin token.
/// </summary>
public sealed class CloudProcess : IAsyncDisposable
{
    public const string AdminToken = "e2e-admin-token-0123456789abcdef";

    public NodeProcess Node { get; }
    public string DataDir { get; }
    public int HttpPort { get; }
    public int ClusterPort { get; }
    public HttpClient Client { get; }

    /// <summary>What an edge puts in PHAROS_SEEDS to join this node.</summary>
    public string Seed => $"127.0.0.1:{ClusterPort}";

    /// <summary>akka.ssl.tcp when this node was given PHAROS_TLS_CERT, akka.tcp otherwise.</summary>
    public string Protocol { get; }

    /// <summary>The Akka address of this node.</summary>
    public string Address => $"{Protocol}://pharos@127.0.0.1:{ClusterPort}";

    /// <summary>Where a standalone node's own worker writes (PHAROS_DATA_DIR/work and /embeddings).</summary>
    public string WorkDir => Path.Combine(DataDir, "work");

    private CloudProcess(NodeProcess node, string dataDir, int httpPort, int clusterPort, string? token, bool tls)
    {
        Protocol = tls ? "akka.ssl.tcp" : "akka.tcp";
        Node = node;
        DataDir = dataDir;
        HttpPort = httpPort;
        ClusterPort = clusterPort;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        UseToken(token);
    }

    public void UseToken(string? token) => Client.DefaultRequestHeaders.Authorization =
        token is null ? null : new AuthenticationHeaderValue("Bearer", token);

    /// <summary>Settings every test cluster shares: loopback repositories allowed, fast downing, one training thread.</summary>
    public static Dictionary<string, string?> CommonSettings() => new()
    {
        ["PHAROS_CLUSTER_HOST"] = "127.0.0.1",
        ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        ["PHAROS_ALLOWED_SCHEMES"] = "http,https,git",
        ["PHAROS_ALLOWED_HOSTS"] = "127.0.0.1",
        ["PHAROS_DOWN_AFTER_SECONDS"] = "3",
        ["PHAROS_TRAIN_THREADS"] = "1",
    };

    /// <summary>Starts the process; with <paramref name="waitReady"/> false the caller watches it (a node meant to fail).</summary>
    /// <param name="settings">Over the common settings; a null value unsets a variable.</param>
    /// <param name="adminToken">False: no PHAROS_ADMIN_TOKEN at all.</param>
    /// <param name="clusterPort">The Akka.Remote port; null: a free one.</param>
    /// <param name="dataDir">An existing data directory to reuse (a restart after a crash); it is not deleted on dispose.</param>
    /// <param name="executable">A published cloud node's executable, run instead of the build output.</param>
    public static async Task<CloudProcess> StartAsync(string name = "cloud", IReadOnlyDictionary<string, string?>? settings = null,
        IEnumerable<string>? arguments = null, bool adminToken = true, bool waitReady = true, int? clusterPort = null,
        string? dataDir = null, string? executable = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var dir = dataDir ?? TempDirectories.Create("pharos-e2e-cloud-");
            var httpPort = GitCli.FreeTcpPort();
            var port = clusterPort ?? GitCli.FreeTcpPort();
            var env = CommonSettings();
            env["PHAROS_ADMIN_TOKEN"] = adminToken ? AdminToken : null;
            env["PHAROS_DATA_DIR"] = dir;
            env["PHAROS_HTTP_URLS"] = $"http://127.0.0.1:{httpPort}";
            env["PHAROS_CLUSTER_PORT"] = port.ToString();
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) env[key] = value;

            var node = NodeProcess.Start(name, "Pharos.CloudNode", env, arguments ?? [], dir, dataDir is null ? [dir] : [], executable);
            var cloud = new CloudProcess(node, dir, httpPort, port, adminToken ? AdminToken : null,
                env.GetValueOrDefault("PHAROS_TLS_CERT") is not null);
            if (!waitReady) return cloud;
            try
            {
                await cloud.WaitUntilReadyAsync();
                return cloud;
            }
            catch (XunitException) when (attempt < 3 && node.HasExited && PortWasTaken(node))
            {
                // Another test took one of the free ports between the probe and the bind: try other ports.
                await cloud.DisposeAsync();
            }
            catch
            {
                await cloud.DisposeAsync();
                throw;
            }
        }
    }

    private static bool PortWasTaken(NodeProcess node) =>
        node.Log.LinesSince().Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                                       || l.Contains("Failed to bind", StringComparison.OrdinalIgnoreCase)
                                       || l.Contains("BindException", StringComparison.Ordinal));

    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        using var probe = new HttpClient { BaseAddress = Client.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.WaitAsync(async () => (await probe.GetAsync("/ready")).StatusCode, s => s == HttpStatusCode.OK,
            $"{Node.Name} to be ready (GET /ready = 200)", timeout, () => Node.Describe(), AbortIfExited);
    }

    /// <summary>For waits: stop as soon as the cloud process is gone.</summary>
    public string? AbortIfExited() => Node.HasExited ? $"{Node.Name} {Node.ExitDescription}" : null;

    public async Task<HttpResponseMessage> IngestAsync(string repoUrl) =>
        await Client.PostAsJsonAsync("/ingest", new Dictionary<string, string> { ["repo_url"] = repoUrl });

    /// <summary>POST /ingest; anything but 202 fails the test with the answer.</summary>
    public async Task<JsonElement> SubmitForJsonAsync(string repoUrl)
    {
        var response = await IngestAsync(repoUrl);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new XunitException($"POST /ingest {repoUrl} answered {(int)response.StatusCode}: {body}\n{Node.Describe(40)}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>POST /ingest; the task id of the 202 answer.</summary>
    public async Task<string> SubmitAsync(string repoUrl) =>
        (await SubmitForJsonAsync(repoUrl)).GetProperty("task_id").GetString()!;

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public Task<JsonElement> GetJobAsync(string id) => GetJsonAsync($"/jobs/{id}");

    public Task<JsonElement> GetWorkerStatusAsync() => GetJsonAsync("/worker/status");

    public Task<HttpResponseMessage> CancelAsync(string id) => Client.DeleteAsync($"/jobs/{id}");

    /// <summary>Polls GET /jobs/{id} until <paramref name="done"/> holds.</summary>
    public Task<JsonElement> WaitForJobAsync(string id, Func<JsonElement, bool> done, string what, TimeSpan? timeout = null,
        Func<string>? diagnostics = null, Func<string?>? abort = null) =>
        Eventually.WaitAsync(() => GetJobAsync(id), done, $"job {id} {what}", timeout, diagnostics ?? (() => Node.Describe()),
            () => AbortIfExited() ?? abort?.Invoke());

    /// <summary>Until the job is completed, failed, skipped or cancelled.</summary>
    public Task<JsonElement> WaitForFinalAsync(string id, TimeSpan? timeout = null, Func<string>? diagnostics = null,
        Func<string?>? abort = null) =>
        WaitForJobAsync(id, j => Job.IsFinal(j), "to finish", timeout, diagnostics, abort);

    public Task<JsonElement> WaitForWorkerStatusAsync(Func<JsonElement, bool> done, string what, TimeSpan? timeout = null,
        Func<string>? diagnostics = null, Func<string?>? abort = null) =>
        Eventually.WaitAsync(GetWorkerStatusAsync, done, $"/worker/status to show {what}", timeout,
            diagnostics ?? (() => Node.Describe()), () => AbortIfExited() ?? abort?.Invoke());

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Node.DisposeAsync();
    }
}

/// <summary>Reading the snake_case JSON of jobs and worker status.</summary>
public static class Job
{
    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static double? Num(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    public static IEnumerable<JsonElement> Array(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().ToList() : [];

    public static string? Status(this JsonElement job) => job.Str("status");

    public static bool IsFinal(JsonElement job) => job.Status() is "completed" or "failed" or "skipped" or "cancelled";

    /// <summary>The statuses of the job's timeline, in order.</summary>
    public static IReadOnlyList<string> TimelineStatuses(this JsonElement job) =>
        job.Array("timeline").Select(t => t.Str("status") ?? "").ToList();

    /// <summary>Workers of GET /worker/status.</summary>
    public static IReadOnlyList<JsonElement> Workers(this JsonElement status) => status.Array("workers").ToList();
}
