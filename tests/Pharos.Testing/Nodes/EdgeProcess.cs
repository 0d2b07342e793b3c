using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pharos.Testing.Nodes;

/// <summary>
/// An edge node process (<c>Pharos.EdgeNode.dll</c>) that joins a <see cref="CloudProcess"/> through PHAROS_SEEDS,
/// with its own data directory (work directories and embeddings live there).
/// </summary>
public sealed partial class EdgeProcess : IAsyncDisposable
{
    public NodeProcess Node { get; }
    public string DataDir { get; }
    public string WorkDir => Path.Combine(DataDir, "work");

    private EdgeProcess(NodeProcess node, string dataDir)
    {
        Node = node;
        DataDir = dataDir;
    }

    /// <param name="settings">Over the common settings (epochs 10 by default); a null value unsets a variable.</param>
    /// <param name="dataDir">An existing data directory to reuse (a restart after a crash); it is not deleted on dispose.</param>
    public static EdgeProcess Start(CloudProcess cloud, string name = "edge", IReadOnlyDictionary<string, string?>? settings = null,
        string? dataDir = null)
    {
        var owned = dataDir is null;
        dataDir ??= TempDirectories.Create("pharos-e2e-edge-");
        var env = CloudProcess.CommonSettings();
        env["PHAROS_DATA_DIR"] = dataDir;
        env["PHAROS_CLUSTER_PORT"] = "0";
        env["PHAROS_SEEDS"] = cloud.Seed;
        env["PHAROS_TRAIN_EPOCHS"] = "10";
        env["PHAROS_WORKERS"] = "1";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) env[key] = value;
        var node = NodeProcess.Start(name, "Pharos.EdgeNode", env, [], dataDir, owned ? [dataDir] : []);
        return new EdgeProcess(node, dataDir);
    }

    [GeneratedRegex(@"listens on addresses: \[(akka(?:\.ssl)?\.tcp://pharos@[^\]]+)\]")]
    private static partial Regex ListenLine();

    /// <summary>Every address this process's actor systems listened on, oldest first (a restarted system adds one).</summary>
    public IReadOnlyList<string> Addresses() =>
        Node.Log.LinesSince().Select(l => ListenLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Distinct().ToList();

    /// <summary>The address of the newest actor system of this process, or null before remoting started.</summary>
    public string? Address => Addresses().LastOrDefault();

    /// <summary>host:port of <see cref="Address"/>, which is how worker entries of /worker/status name their node.</summary>
    public string? HostPort => Address?[(Address.IndexOf('@') + 1)..];

    public string? AbortIfExited() => Node.HasExited ? $"{Node.Name} {Node.ExitDescription}" : null;

    /// <summary>Until the edge's cluster says it was welcomed by the cloud (it is a member).</summary>
    public Task WaitUntilJoinedAsync(CloudProcess cloud, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => Task.FromResult(Node.Log.Contains("Welcome from [" + cloud.Address)), joined => joined,
            $"{Node.Name} to join {cloud.Node.Name}", timeout, () => Node.Describe() + "\n" + cloud.Node.Describe(),
            () => AbortIfExited() ?? cloud.AbortIfExited());

    /// <summary>Worker entries of /worker/status that belong to this process's newest actor system.</summary>
    public IReadOnlyList<JsonElement> WorkersIn(JsonElement status) =>
        HostPort is { } hostPort
            ? status.Workers().Where(w => (w.Str("address") ?? "").Contains(hostPort, StringComparison.Ordinal)
                                          || (w.Str("id") ?? "").Contains(hostPort, StringComparison.Ordinal)).ToList()
            : [];

    /// <summary>Until /worker/status lists an idle worker on this edge.</summary>
    public Task<JsonElement> WaitForIdleWorkerAsync(CloudProcess cloud, TimeSpan? timeout = null) =>
        cloud.WaitForWorkerStatusAsync(s => WorkersIn(s).Any(w => w.Str("state") == "idle"),
            $"an idle worker on {Node.Name} ({HostPort ?? "address not known yet"})", timeout,
            () => Node.Describe() + "\n" + cloud.Node.Describe(), AbortIfExited);

    /// <summary>
    /// Until the queue knows a worker of this edge's newest actor system: /worker/status lists it idle, or the
    /// cloud logged its registration ("Worker ... registered from &lt;address&gt;"). The second keeps tests that are
    /// not about the status read model independent of it.
    /// </summary>
    public Task WaitForWorkerAsync(CloudProcess cloud, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(async () =>
                Address is { } address
                && (cloud.Node.Log.LinesSince().Any(l => l.Contains("registered from " + address, StringComparison.Ordinal))
                    || WorkersIn(await cloud.GetWorkerStatusAsync()).Any(w => w.Str("state") == "idle")),
            ready => ready, $"a worker of {Node.Name} ({HostPort ?? "address not known yet"}) to register with the queue",
            timeout, () => Node.Describe() + "\n" + cloud.Node.Describe(), () => AbortIfExited() ?? cloud.AbortIfExited());

    /// <summary>True when the work directory is absent or empty.</summary>
    public bool WorkDirIsEmpty() => DirectoryIsEmpty(WorkDir);

    public static bool DirectoryIsEmpty(string dir) =>
        !Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any();

    /// <summary>Embedding files (.f32 and .json) named after <paramref name="commit"/> anywhere under <paramref name="embeddingsDir"/>.</summary>
    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}
