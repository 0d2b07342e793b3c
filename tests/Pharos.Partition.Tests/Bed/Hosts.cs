using System.Net;
using System.Text.RegularExpressions;
using Pharos.Partition.Tests.Network;
using StackExchange.Redis;

namespace Pharos.Partition.Tests.Bed;

/// <summary>Starting a program inside a host's namespace: <c>ip netns exec</c> executes it in place, so the pid is the program's.</summary>
public static class InNamespace
{
    public static NodeProcess Start(NetHost host, string name, IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string?> environment, string workingDirectory, IReadOnlyList<string> ownedDirectories) =>
        NodeProcess.Start(name, "", environment, ["netns", "exec", host.Namespace, .. command], workingDirectory,
            ownedDirectories, executable: "ip");
}

/// <summary>
/// A redis-server on its host's address (the nodes' journal and result store) with an append-only file fsynced on
/// every write, and a Unix socket that only the test reads through: the checker reads the journal over it whatever
/// the nemesis did to the network.
/// </summary>
public sealed class RedisHost : IAsyncDisposable
{
    public const int Port = 6379;

    private RedisHost(NetHost host, NodeProcess process, string directory, ConnectionMultiplexer observer)
    {
        Host = host;
        Process = process;
        Directory = directory;
        Observer = observer;
    }

    public NetHost Host { get; }
    public NodeProcess Process { get; }
    public string Directory { get; }

    /// <summary>A connection over the Unix socket, outside the test network.</summary>
    public ConnectionMultiplexer Observer { get; }

    /// <summary>PHAROS_REDIS of the nodes: the address on the test network.</summary>
    public string ConnectionString => $"{Host.Address}:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000";

    public static async Task<RedisHost> StartAsync(NetHost host)
    {
        var dir = TempDirectories.Create("pharos-partition-redis-");
        var socket = Path.Combine(dir, "redis.sock");
        var process = InNamespace.Start(host, "redis", ["redis-server", "--bind", host.Address.ToString(), "--port", Port.ToString(),
            "--unixsocket", socket, "--unixsocketperm", "700", "--dir", dir, "--save", "", "--appendonly", "yes",
            "--appendfsync", "always",
            // No password on this closed network: without this, Redis answers only loopback clients.
            "--protected-mode", "no"], new Dictionary<string, string?>(), dir, [dir]);
        try
        {
            await Eventually.WaitAsync(() => Task.FromResult(File.Exists(socket)), exists => exists, "redis-server's Unix socket",
                TimeSpan.FromSeconds(20), () => process.Describe(), () => process.HasExited ? "redis-server exited" : null);
            var options = new ConfigurationOptions { AbortOnConnectFail = false, ConnectTimeout = 2000, SyncTimeout = 10_000 };
            options.EndPoints.Add(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            var observer = await ConnectionMultiplexer.ConnectAsync(options);
            return new RedisHost(host, process, dir, observer);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Observer.DisposeAsync();
        await Process.DisposeAsync();
    }
}

/// <summary><c>git daemon</c> on its host's address, serving every repository under a directory (git://).</summary>
public sealed class GitHost : IAsyncDisposable
{
    private const int Port = 9418;

    /// <summary>The git server's name on the test network: repository URLs must name a host, never an address.</summary>
    public const string Name = "git.partition.test";

    private GitHost(NetHost host, NodeProcess process, string root)
    {
        Host = host;
        Process = process;
        Root = root;
    }

    public NetHost Host { get; }
    public NodeProcess Process { get; }
    public string Root { get; }

    public string UrlFor(string repository) => $"git://{Name}/{repository}";

    public static GitHost Start(NetHost host, string root)
    {
        var process = InNamespace.Start(host, "git-daemon", ["git", "daemon", "--reuseaddr", $"--listen={host.Address}",
            $"--port={Port}", $"--base-path={root}", "--export-all", "--verbose", root], new Dictionary<string, string?>(), root, []);
        return new GitHost(host, process, root);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

/// <summary>
/// A cloud node on its host: HTTP on :8080, the cluster on :4053, its journal in the bed's Redis. The client the
/// test uses lives in the bed's client namespace, so it reaches the node over the test network.
/// </summary>
public sealed class CloudHost : IAsyncDisposable
{
    public const int HttpPort = 8080;
    public const int ClusterPort = 4053;

    internal CloudHost(NetHost host, string name, string dataDir, HttpClient client)
    {
        Host = host;
        Name = name;
        DataDir = dataDir;
        Client = client;
    }

    public NetHost Host { get; }
    public string Name { get; }
    public string DataDir { get; }
    public HttpClient Client { get; }

    /// <summary>The process now running; a restart (as systemd would) replaces it.</summary>
    public NodeProcess Node { get; internal set; } = null!;

    /// <summary>Each process this host ran, the current one last.</summary>
    public List<NodeProcess> Incarnations { get; } = [];

    public string Seed => $"{Host.Address}:{ClusterPort}";
    public string Address => $"akka.tcp://pharos@{Host.Address}:{ClusterPort}";

    public string? AbortIfExited() => Node.HasExited ? $"{Name} {Node.ExitDescription}" : null;

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path} on {Name} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var node in Incarnations) await node.DisposeAsync();
        TempDirectories.Delete(DataDir);
    }
}

/// <summary>An edge node on its host, joined through a cloud node's address; it rejoins by itself after being downed.</summary>
public sealed partial class EdgeHost(NetHost host, string name, NodeProcess node, string dataDir) : IAsyncDisposable
{
    public NetHost Host { get; } = host;
    public string Name { get; } = name;
    public NodeProcess Node { get; } = node;
    public string DataDir { get; } = dataDir;

    [GeneratedRegex(@"listens on addresses: \[(akka(?:\.ssl)?\.tcp://pharos@[^\]]+)\]")]
    private static partial Regex ListenLine();

    /// <summary>The address of the edge's newest actor system (a rejoin starts a new one, on a new port).</summary>
    public string? Address => Node.Log.LinesSince().Select(l => ListenLine().Match(l)).Where(m => m.Success)
        .Select(m => m.Groups[1].Value).LastOrDefault();

    public string? AbortIfExited() => Node.HasExited ? $"{Name} {Node.ExitDescription}" : null;

    public ValueTask DisposeAsync() => Node.DisposeAsync();
}
