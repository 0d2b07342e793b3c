using System.Text;
using Akka.Configuration;
using Akka.TestKit;
using Pharos.Actors.Ingest;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Training;
using Pharos.Testing.Git;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// A WorkerActor in an ActorSystem with the cluster provider (it reads Cluster.SelfAddress; nothing joins), the
/// queue proxy, the queue actor and the DistributedPubSub mediator played by probes, and stages that wrap the real
/// CloneActor and TrainActor and count what is made.
/// </summary>
public abstract class WorkerTestKit : Akka.TestKit.Xunit2.TestKit
{
    public static readonly Config ClusterConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp.hostname = 127.0.0.1
        akka.remote.dot-netty.tcp.port = 0
        akka.cluster.log-info = off
        akka.loglevel = WARNING
        akka.actor.serialize-messages = off
        """);

    /// <summary>Local paths, loopback git daemons and loopback smart HTTP servers are what these tests clone.</summary>
    public static readonly RepoUrlValidator LocalValidator = new(RepoUrlPolicy.Default with
    {
        AllowLocalRepos = true,
        AllowedSchemes = ["https", "http", "git"],
    });

    /// <summary>
    /// Training that lasts seconds on this machine (many epochs over a few hundred files): long enough to be stopped
    /// mid-run, and to span several status intervals (500 ms) even on a fast, quiet machine.
    /// </summary>
    public static Node2VecOptions LongTraining =>
        Quick with { Epochs = 400, Dimensions = 32, WalksPerNode = 10, WalkLength = 20, Context = 5, Negative = 5, Seed = 3 };

    /// <summary>A handful of tiny epochs: a run takes well under a second.</summary>
    public static Node2VecOptions Quick => new()
    {
        Epochs = 3,
        Dimensions = 8,
        WalksPerNode = 2,
        WalkLength = 8,
        Context = 3,
        Negative = 2,
        Threads = 1,
        Seed = 11,
    };

    protected const string WorkerId = "edge-test-1";

    protected WorkerTestKit(Xunit.Abstractions.ITestOutputHelper? output = null) : base(ClusterConfig, "pharos", output)
    {
        DataDir = Directory.CreateTempSubdirectory("pharos-worker-").FullName;
        Proxy = CreateTestProbe("proxy");
        Queue = CreateTestProbe("queue");
        Mediator = CreateTestProbe("mediator");
    }

    protected string DataDir { get; }
    protected GitRepositoryFixture Repos { get; } = new();
    protected TestProbe Proxy { get; }
    protected TestProbe Queue { get; }
    protected TestProbe Mediator { get; }

    private int _cloneSteps;
    private int _trainSteps;
    protected int CloneSteps => Volatile.Read(ref _cloneSteps);
    protected int TrainSteps => Volatile.Read(ref _trainSteps);

    protected string WorkRoot => Path.Combine(DataDir, "work");
    protected string EmbeddingsRoot => Path.Combine(DataDir, "embeddings");

    protected WorkerSettings Settings(Node2VecOptions? training = null) =>
        new WorkerSettings(WorkerId, DataDir, null, 1L << 30, TimeSpan.FromMinutes(1), training ?? Quick)
        {
            CloneRetryBackoff = TimeSpan.FromMilliseconds(50),
            AllowInternalAddresses = true, // the git servers here are on loopback
        };

    /// <summary>
    /// The cloud's side of a delivery: a real intake at /user/result-intake over a real SQLite store, asking
    /// <see cref="Queue"/> (whose answers are <see cref="QueueVerdict"/>) whether a result is wanted and telling it
    /// when one is stored, as it tells the queue singleton in a node.
    /// </summary>
    protected SqliteResultStore ResultStore => _resultStore ??= StartIntake();
    private SqliteResultStore? _resultStore;

    /// <summary>What the queue probe says of every delivery.</summary>
    protected DeliveryOutcome QueueVerdict { get; set; } = DeliveryOutcome.Wanted;

    /// <summary>While set, the queue probe holds its answers to <see cref="RecordResult"/> until <see cref="ReleaseRecords"/>.</summary>
    protected bool HoldRecords { get; set; }
    private readonly System.Collections.Concurrent.ConcurrentQueue<(IActorRef To, RecordResult Result)> _held = new();

    /// <summary>Answers the records held so far.</summary>
    protected void ReleaseRecords()
    {
        while (_held.TryDequeue(out var held)) held.To.Tell(Answer(held.Result));
    }

    private DeliveryVerdict Answer(RecordResult result) =>
        new(result.TaskId, result.LeaseId, QueueVerdict, "the test queue says so", result.Metrics.CommitSha);

    private SqliteResultStore StartIntake()
    {
        var store = new SqliteResultStore(Path.Combine(DataDir, "cloud"), keep: 1, new ResultCache());
        Queue.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case MayDeliver ask:
                    sender.Tell(new DeliveryVerdict(ask.TaskId, ask.LeaseId, QueueVerdict, "the test queue says so"));
                    break;
                case RecordResult result when HoldRecords:
                    _held.Enqueue((sender, result));
                    break;
                case RecordResult result:
                    sender.Tell(Answer(result));
                    break;
            }
            return AutoPilot.KeepRunning;
        }));
        Sys.ActorOf(ResultIntake.Props(new IntakeSettings(Path.Combine(DataDir, "cloud", "incoming"), 64L << 20), store, Queue.Ref),
            ResultIntake.Name);
        return store;
    }

    /// <summary>
    /// The real children, counted; <paramref name="clone"/>, <paramref name="train"/> or <paramref name="upload"/>
    /// replace them. The real upload step delivers to <see cref="ResultStore"/>.
    /// </summary>
    protected WorkerStages Stages(WorkerSettings settings, Func<CloneOrder, int, Props>? clone = null,
        Func<TrainOrder, int, Props>? train = null, Func<OutboxEntry, Props>? upload = null) => new(
        order =>
        {
            var n = Interlocked.Increment(ref _cloneSteps);
            return clone?.Invoke(order, n) ?? CloneActor.Props(order, settings, LocalValidator);
        },
        order =>
        {
            var n = Interlocked.Increment(ref _trainSteps);
            return train?.Invoke(order, n) ?? TrainActor.Props(order, settings);
        },
        entry =>
        {
            _ = ResultStore;
            return upload?.Invoke(entry) ?? ResultUploader.Props(entry, () => Sys.ActorSelection($"/user/{ResultIntake.Name}"));
        });

    /// <summary>Starts a worker and takes it through registration up to its first RequestWork.</summary>
    protected IActorRef StartRegisteredWorker(WorkerSettings settings, WorkerStages? stages = null, TimeProvider? clock = null)
    {
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, clock ?? TimeProvider.System,
            stages ?? Stages(settings)));
        var register = Proxy.ExpectMsg<RegisterWorker>();
        Assert.Equal(settings.WorkerId, register.WorkerId);
        // It subscribes to status requests and announces itself idle as it starts.
        var subscribe = Mediator.ExpectMsg<Subscribe>();
        Assert.Equal((Topics.WorkerStatusRequests, worker), (subscribe.Topic, subscribe.Ref));
        var initial = NextStatus(_ => true);
        Assert.Equal((WorkerState.Idle, settings.WorkerId, register.Address, (string?)null),
            (initial.State, initial.WorkerId, initial.Address, initial.TaskId));
        worker.Tell(new WorkerRegistered(settings.WorkerId, register.Challenge), Queue.Ref);
        Assert.Equal(settings.WorkerId, Queue.ExpectMsg<RequestWork>().WorkerId);
        // Registered, it announces itself again: the cluster is up now, so the status trackers hear it.
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true).State);
        return worker;
    }

    protected static WorkTask NewTask(string repoUrl, string id = "task-1", DateTimeOffset? submittedAt = null, int ttl = 86_400,
        int attempt = 1) => new(id, repoUrl, Priority.Normal, submittedAt ?? DateTimeOffset.UtcNow, ttl, attempt);

    protected void Assign(IActorRef worker, WorkTask task, string leaseId) =>
        worker.Tell(new TaskAssigned(task, leaseId), Queue.Ref);

    /// <summary>
    /// What the queue hears up to and including what ends the run: the intake's record of its stored result (the
    /// queue completes the task then), or the worker's failure or skip report.
    /// </summary>
    protected List<object> ReportsUntilEnd(TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        var reports = new List<object>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var message = Queue.ReceiveOne(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            Assert.True(message is not null,
                $"no end of the run within {max}; the queue heard: {string.Join(", ", reports)}");
            reports.Add(message!);
            if (message is RecordResult or ReportFailed or ReportSkipped) return reports;
        }
    }

    /// <summary>The next published worker status that satisfies <paramref name="where"/>, skipping others.</summary>
    protected WorkerStatusChanged NextStatus(Func<WorkerStatusChanged, bool> where, TimeSpan? max = null) =>
        (WorkerStatusChanged)Mediator.FishForMessage<Publish>(
            p => p.Topic == Topics.WorkerStatus && p.Message is WorkerStatusChanged s && where(s),
            max ?? TimeSpan.FromSeconds(10)).Message;

    protected bool WorkRootIsEmpty() =>
        !Directory.Exists(WorkRoot) || !Directory.EnumerateFileSystemEntries(WorkRoot).Any();

    protected void AwaitWorkRootEmpty(TimeSpan max) =>
        AwaitCondition(WorkRootIsEmpty, max, TimeSpan.FromMilliseconds(20),
            $"{WorkRoot} still holds {string.Join(", ", Directory.Exists(WorkRoot) ? Directory.EnumerateFileSystemEntries(WorkRoot) : [])}");

    /// <summary>
    /// A Python package of <paramref name="modules"/> modules where module i imports modules i+1 and i+7 (mod
    /// <paramref name="modules"/>), plus an <c>__init__.py</c>: one commit, made with the git CLI.
    /// </summary>
    protected string CreatePythonSource(string name, int modules, int extraImports = 0)
    {
        var dir = Path.Combine(Repos.Root, name);
        var package = Path.Combine(dir, "pkg");
        Directory.CreateDirectory(package);
        GitCli.Run(dir, "init", "-q");
        File.WriteAllText(Path.Combine(package, "__init__.py"), "\"\"\"A generated package.\"\"\"\n");
        for (var i = 0; i < modules; i++)
        {
            var text = new StringBuilder();
            text.Append($"from pkg import mod{(i + 1) % modules:D3}\n");
            text.Append($"import pkg.mod{(i + 7) % modules:D3}\n");
            for (var k = 0; k < extraImports; k++) text.Append($"from pkg import mod{(i * 31 + k * 17 + 3) % modules:D3}\n");
            text.Append($"\n\ndef f{i}(x):\n    return x + {i}\n");
            File.WriteAllText(Path.Combine(package, $"mod{i:D3}.py"), text.ToString());
        }
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "commit", "-q", "-m", "generated package");
        return dir;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Repos.Dispose();
        try { WorkDirectories.Delete(DataDir); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A child that fails as it starts (the seam for "a crash of a child never kills the worker").</summary>
public sealed class CrashingActor : ReceiveActor
{
    protected override void PreStart() => throw new InvalidOperationException("crashed on purpose");

    public static Props Props() => Akka.Actor.Props.Create(() => new CrashingActor());
}
