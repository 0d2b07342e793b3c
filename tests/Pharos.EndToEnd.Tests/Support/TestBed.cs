using System.Text;

namespace Pharos.EndToEnd.Tests.Support;

/// <summary>
/// The processes and servers of one test (or one test class): starts them, gives waits the logs to show when they
/// time out, writes every node's log to the test output, and disposes everything, processes first, also when the
/// test failed.
/// </summary>
public sealed class TestBed : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<NodeProcess> _nodes = [];
    private readonly object _gate = new();
    private int _edges;

    /// <summary>Where DisposeAsync writes the logs; null for a bed shared by a class (each test writes its part).</summary>
    public ITestOutputHelper? Output { get; set; }

    public TestBed(ITestOutputHelper? output = null) => Output = output;

    public IReadOnlyList<NodeProcess> Nodes { get { lock (_gate) return _nodes.ToList(); } }

    public async Task<CloudProcess> StartCloudAsync(IReadOnlyDictionary<string, string?>? settings = null,
        IEnumerable<string>? arguments = null, bool adminToken = true, bool waitReady = true, string name = "cloud",
        int? clusterPort = null, string? dataDir = null, string? executable = null)
    {
        var cloud = await CloudProcess.StartAsync(name, settings, arguments, adminToken, waitReady, clusterPort, dataDir, executable);
        Own(cloud, cloud.Node);
        return cloud;
    }

    public EdgeProcess StartEdge(CloudProcess cloud, IReadOnlyDictionary<string, string?>? settings = null, string? name = null,
        string? dataDir = null)
    {
        var edge = EdgeProcess.Start(cloud, name ?? $"edge-{Interlocked.Increment(ref _edges)}", settings, dataDir);
        Own(edge, edge.Node);
        return edge;
    }

    /// <summary>An edge that joined and whose worker registered with the queue.</summary>
    public async Task<EdgeProcess> StartIdleEdgeAsync(CloudProcess cloud, IReadOnlyDictionary<string, string?>? settings = null,
        string? name = null)
    {
        var edge = StartEdge(cloud, settings, name);
        await edge.WaitUntilJoinedAsync(cloud);
        await edge.WaitForWorkerAsync(cloud);
        return edge;
    }

    public T Own<T>(T disposable, NodeProcess? node = null) where T : IAsyncDisposable
    {
        lock (_gate)
        {
            _owned.Add(disposable);
            if (node is not null) _nodes.Add(node);
        }
        return disposable;
    }

    /// <summary>The last lines of every node, for failure messages.</summary>
    public string Diagnostics(int maxLines = 60) =>
        string.Join("\n", Nodes.Select(n => n.Describe(maxLines)));

    /// <summary>Where each node's log stands now, so a test of a shared bed can write only its own part.</summary>
    public Dictionary<NodeProcess, long> Marks() => Nodes.ToDictionary(n => n, n => n.Log.Mark);

    public void WriteLogs(ITestOutputHelper output, IReadOnlyDictionary<NodeProcess, long>? marks = null, int maxLines = 400)
    {
        var text = new StringBuilder();
        foreach (var node in Nodes)
            text.AppendLine(node.Describe(maxLines, marks is not null && marks.TryGetValue(node, out var mark) ? mark : 0));
        try { output.WriteLine(text.ToString()); }
        catch (InvalidOperationException) { } // the test is over (a shared bed disposed after its tests)
    }

    /// <summary>Samples GET /worker/status until stopped: what a user watching the status saw while a job ran.</summary>
    public static StatusRecorder RecordStatus(CloudProcess cloud) => new(cloud);

    public async ValueTask DisposeAsync()
    {
        if (Output is not null) WriteLogs(Output);
        List<IAsyncDisposable> owned;
        lock (_gate) owned = _owned.AsEnumerable().Reverse().ToList();
        // Processes die together (kill -9), then servers and directories go.
        await Task.WhenAll(owned.Select(o => o.DisposeAsync().AsTask()));
    }
}

/// <summary>Polls GET /worker/status every 100 ms in the background and keeps what it saw.</summary>
public sealed class StatusRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<JsonElement> _samples = [];

    public StatusRecorder(CloudProcess cloud)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var status = await cloud.GetWorkerStatusAsync();
                    lock (_samples) _samples.Add(status);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { }
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public IReadOnlyList<JsonElement> Samples { get { lock (_samples) return _samples.ToList(); } }

    /// <summary>The distinct stages the workers running <paramref name="taskId"/> reported, in the order first seen.</summary>
    public IReadOnlyList<string> StagesOf(string taskId) =>
        Samples.SelectMany(s => s.Workers()).Where(w => w.Str("task_id") == taskId)
            .Select(w => w.Str("stage")).OfType<string>().Distinct().ToList();

    /// <summary>The distinct top-level status strings seen.</summary>
    public IReadOnlyList<string> Statuses() => Samples.Select(s => s.Str("status")).OfType<string>().Distinct().ToList();

    public async Task StopAsync()
    {
        _stop.Cancel();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}

/// <summary>
/// A test class whose every test gets a <see cref="TestBed"/> of its own, torn down after the test (its processes
/// stopped, its directories removed); <see cref="InitializeAsync"/> starts what the class needs beside it.
/// </summary>
public abstract class BedTest(ITestOutputHelper output) : IAsyncLifetime
{
    protected ITestOutputHelper Output { get; } = output;
    protected TestBed Bed { get; } = new(output);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Bed.DisposeAsync();
}

/// <summary>A <see cref="BedTest"/> with git servers of its own over one set of repositories: the daemon, smart HTTP or both.</summary>
public abstract class GitBedTest(ITestOutputHelper output, bool daemon = true, bool http = true) : BedTest(output)
{
    protected GitSources Sources { get; private set; } = null!;

    public override async Task InitializeAsync() => Sources = Bed.Own(await GitSources.StartAsync(daemon, http));
}
