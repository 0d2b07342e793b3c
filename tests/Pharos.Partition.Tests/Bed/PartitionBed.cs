using System.Diagnostics;
using System.Net;
using System.Text;
using Pharos.Partition.Tests.Network;
using Pharos.Testing.Git;

namespace Pharos.Partition.Tests.Bed;

/// <summary>
/// One scenario's cluster on a network of its own: Redis, a git server and a client namespace from the start; cloud
/// nodes and edges as the scenario adds them, each on a host of its own. A cloud node the cluster downed exits with
/// code 3, and the bed starts it again after a pause, as systemd does (deploy/systemd: Restart=on-failure). Disposal
/// kills every process and deletes the namespaces and directories, also when the test failed; the nodes' logs go to
/// the test output.
/// </summary>
public sealed class PartitionBed : IAsyncDisposable
{
    public const string AdminToken = CloudProcess.AdminToken;

    /// <summary>The workload's repository: a small package with <see cref="WorkBranches"/> branches, one task per branch.</summary>
    public const string WorkRepository = "work";
    public const int WorkBranches = 40;

    /// <summary>Real Python code (networkx, about 280 modules): training long enough to cut it in the middle.</summary>
    public const string BigRepository = "big";

    private static readonly TimeSpan RestartAfter = TimeSpan.FromSeconds(2);

    private readonly ITestOutputHelper _output;
    private readonly List<CloudHost> _clouds = [];
    private readonly List<EdgeHost> _edges = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _supervisors = [];

    private PartitionBed(ITestOutputHelper output, TestNetwork network, NetHost client, RedisHost redis, GitHost git)
    {
        _output = output;
        Network = network;
        Nemesis = new Nemesis(network);
        ClientHost = client;
        ClientSockets = new NamespaceSockets(client);
        Redis = redis;
        Git = git;
    }

    public TestNetwork Network { get; }
    public Nemesis Nemesis { get; }
    public NetHost ClientHost { get; }
    public NamespaceSockets ClientSockets { get; }
    public RedisHost Redis { get; }
    public GitHost Git { get; }

    public IReadOnlyList<CloudHost> Clouds { get { lock (_clouds) return _clouds.ToList(); } }
    public IReadOnlyList<EdgeHost> Edges { get { lock (_edges) return _edges.ToList(); } }

    public string WorkUrl => Git.UrlFor(WorkRepository);
    public string BigUrl => Git.UrlFor(BigRepository);

    /// <summary>The bed on a new network, its git server serving <paramref name="repositories"/> (shared, read only).</summary>
    public static async Task<PartitionBed> StartAsync(ITestOutputHelper output, PartitionRepositories repositories)
    {
        var clock = Stopwatch.StartNew();
        var root = await repositories.RootAsync;
        var network = await TestNetwork.CreateAsync();
        try
        {
            var redisHost = await network.AddHostAsync("redis");
            var gitHost = await network.AddHostAsync("git");
            network.AddName(GitHost.Name, gitHost.Address);
            var client = await network.AddHostAsync("client");
            var redis = await RedisHost.StartAsync(redisHost);
            var git = GitHost.Start(gitHost, root);
            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} bed ready in {clock.Elapsed.TotalSeconds:0.0} s");
            return new PartitionBed(output, network, client, redis, git);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The name of the workload repository's branch <paramref name="index"/>.</summary>
    public static string Branch(int index) => $"b{index:D2}";

    /// <summary>Settings every node of the bed shares: its own address, no TLS on this closed network, fast downing.</summary>
    private Dictionary<string, string?> CommonSettings(NetHost host) => new()
    {
        ["PHAROS_CLUSTER_HOST"] = host.Address.ToString(),
        // The test network is closed (namespaces only this test made); mutual TLS is tested on loopback elsewhere.
        ["PHAROS_CLUSTER_INSECURE"] = "true",
        ["PHAROS_ALLOWED_SCHEMES"] = "git",
        ["PHAROS_ALLOWED_HOSTS"] = GitHost.Name,
        ["PHAROS_DOWN_AFTER_SECONDS"] = PartitionTest.DownAfterSeconds.ToString(),
        ["PHAROS_TRAIN_THREADS"] = "1",
        ["PHAROS_REDIS"] = Redis.ConnectionString,
    };

    /// <summary>
    /// Cloud nodes on new hosts, each listing every one of them as a seed, in the same order, as the deployment guide
    /// says: only the first may form a cluster, and only when no other answers, so a cloud node that restarts joins
    /// the cluster that is there instead of forming one of its own. Ready (GET /ready = 200 through the client
    /// namespace) when it returns.
    /// </summary>
    public async Task<IReadOnlyList<CloudHost>> StartCloudsAsync(params string[] names)
    {
        var hosts = new List<NetHost>();
        foreach (var name in names) hosts.Add(await Network.AddHostAsync(name));
        var seeds = string.Join(",", hosts.Select(h => $"{h.Address}:{CloudHost.ClusterPort}"));
        var clouds = new List<CloudHost>();
        foreach (var host in hosts)
        {
            clouds.Add(StartCloud(host, seeds));
            // The first forms the cluster before the others ask to join it.
            if (clouds.Count == 1) await WaitReadyAsync(clouds[0]);
        }
        foreach (var cloud in clouds.Skip(1)) await WaitReadyAsync(cloud);
        return clouds;
    }

    /// <summary>One cloud node on a new host: the cluster of its own.</summary>
    public async Task<CloudHost> StartCloudAsync(string name) => (await StartCloudsAsync(name))[0];

    private CloudHost StartCloud(NetHost host, string seeds)
    {
        var name = host.Name;
        var dir = TempDirectories.Create($"pharos-partition-{name}-");
        var env = CommonSettings(host);
        env["PHAROS_ADMIN_TOKEN"] = AdminToken;
        env["PHAROS_DATA_DIR"] = dir;
        env["PHAROS_HTTP_URLS"] = $"http://{host.Address}:{CloudHost.HttpPort}";
        env["PHAROS_CLUSTER_PORT"] = CloudHost.ClusterPort.ToString();
        env["PHAROS_SEEDS"] = seeds;
        env["MAX_QUEUE_SIZE"] = "10";

        var cloud = new CloudHost(host, name, dir, ClientSockets.HttpClient(new Uri($"http://{host.Address}:{CloudHost.HttpPort}"),
            AdminToken, TimeSpan.FromSeconds(10)));
        NodeProcess Launch()
        {
            var node = InNamespace.Start(host, name, [NodeBinaries.DotnetHost, NodeBinaries.Dll("Pharos.CloudNode")], env, dir, []);
            cloud.Node = node;
            lock (cloud.Incarnations) cloud.Incarnations.Add(node);
            return node;
        }
        Launch();
        lock (_clouds) _clouds.Add(cloud);
        lock (_supervisors) _supervisors.Add(SuperviseAsync(cloud, Launch));
        return cloud;
    }

    /// <summary>Starts the node again after it exits with a failure (not 2, a configuration error), as systemd would.</summary>
    private async Task SuperviseAsync(CloudHost cloud, Func<NodeProcess> launch)
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await cloud.Node.WaitForExitAsync(TimeSpan.FromDays(1)).WaitAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            _output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {cloud.Name} exited with code {cloud.Node.ExitCode}");
            if (cloud.Node.ExitCode is 0 or 2) return;
            try { await Task.Delay(RestartAfter, _stop.Token); }
            catch (OperationCanceledException) { return; }
            launch();
        }
    }

    public Task WaitReadyAsync(CloudHost cloud, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(async () =>
            {
                using var response = await cloud.Client.GetAsync("/ready");
                return response.StatusCode;
            }, s => s == HttpStatusCode.OK, $"{cloud.Name} to be ready (GET /ready = 200)", timeout ?? TimeSpan.FromSeconds(90),
            () => Diagnostics());

    /// <summary>
    /// An edge on a new host, joined through <paramref name="seeds"/>; one worker. It trains 10 epochs in the short run
    /// (networkx: seconds of training on a loaded machine, enough to cut it in the middle), 25 at full length.
    /// </summary>
    public async Task<EdgeHost> StartEdgeAsync(string name, IReadOnlyList<CloudHost> seeds)
    {
        var host = await Network.AddHostAsync(name);
        var dir = TempDirectories.Create($"pharos-partition-{name}-");
        var env = CommonSettings(host);
        env.Remove("PHAROS_REDIS");
        env["PHAROS_DATA_DIR"] = dir;
        env["PHAROS_CLUSTER_PORT"] = "0";
        env["PHAROS_SEEDS"] = string.Join(",", seeds.Select(s => s.Seed));
        env["PHAROS_TRAIN_EPOCHS"] = PartitionSize.Get("TRAIN_EPOCHS", ci: 10, full: 25).ToString();
        env["PHAROS_WORKERS"] = "1";
        var node = InNamespace.Start(host, name, [NodeBinaries.DotnetHost, NodeBinaries.Dll("Pharos.EdgeNode")], env, dir, [dir]);
        var edge = new EdgeHost(host, name, node, dir);
        lock (_edges) _edges.Add(edge);
        return edge;
    }

    /// <summary>The last lines of every process, for failure messages.</summary>
    public string Diagnostics(int maxLines = 40)
    {
        var text = new StringBuilder();
        text.AppendLine("faults: " + string.Join("; ", Nemesis.Faults.Select(f => $"{f.At:HH:mm:ss.fff} {f.What}")));
        foreach (var cloud in Clouds) text.AppendLine(cloud.Node.Describe(maxLines));
        foreach (var edge in Edges) text.AppendLine(edge.Node.Describe(maxLines));
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Task.WhenAll(_supervisors.ToArray()); } catch (OperationCanceledException) { }
        try
        {
            var text = new StringBuilder();
            text.AppendLine("faults: " + string.Join("; ", Nemesis.Faults.Select(f => $"{f.At:HH:mm:ss.fff} {f.What}")));
            foreach (var cloud in Clouds)
                foreach (var node in cloud.Incarnations) text.AppendLine(node.Describe(400));
            foreach (var edge in Edges) text.AppendLine(edge.Node.Describe(400));
            text.AppendLine(Redis.Process.Describe(40)).AppendLine(Git.Process.Describe(40));
            _output.WriteLine(text.ToString());
        }
        catch (InvalidOperationException) { }
        await Task.WhenAll(Edges.Select(e => e.DisposeAsync().AsTask()).Concat(Clouds.Select(c => c.DisposeAsync().AsTask())));
        await Git.DisposeAsync();
        await Redis.DisposeAsync();
        ClientSockets.Dispose();
        await Network.DisposeAsync();
        _stop.Dispose();
    }
}
