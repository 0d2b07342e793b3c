using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Status;

/// <summary>
/// The read model behind `GET /worker/status`, one per cloud node: the queue depth QueueActor publishes and,
/// once edges run, the workers' own reports. Answers from memory, so status reads never reach the journal.
/// </summary>
public sealed class StatusTracker : ReceiveActor
{
    private readonly IActorRef _queue;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, WorkerView> _workers = new(StringComparer.Ordinal);
    private QueueDepthChanged _depth;

    public StatusTracker(IActorRef queue, IActorRef mediator, TimeProvider clock, int maxQueueSize)
    {
        _queue = queue;
        _mediator = mediator;
        _clock = clock;
        _depth = new QueueDepthChanged(0, 0, maxQueueSize, null);

        Receive<QueueDepthChanged>(depth => _depth = depth);
        // The queue may have published before this node subscribed: ask it once for the current picture.
        Receive<SubscribeAck>(_ => _queue.Tell(GetQueueDepth.Instance));
        Receive<GetWorkerStatus>(_ => Sender.Tell(View()));
    }

    public static Props Props(IActorRef queue, IActorRef mediator, TimeProvider clock, int maxQueueSize) =>
        Akka.Actor.Props.Create(() => new StatusTracker(queue, mediator, clock, maxQueueSize));

    protected override void PreStart() => _mediator.Tell(new Subscribe(Topics.QueueDepth, Self));

    private WorkerStatusView View()
    {
        var workers = _workers.Values.OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        return new WorkerStatusView(OverallStatus(workers), workers,
            new QueueStatus(_depth.Pending, _depth.InFlight, _depth.Max));
    }

    /// <summary>The original service's top-level strings: Offline, Error: ..., Training Graph on {repo}, Idle.</summary>
    internal static string OverallStatus(IReadOnlyList<WorkerView> workers)
    {
        var online = workers.Where(w => w.State != WorkerStates.Offline).ToList();
        if (online.Count == 0) return "Offline";
        if (online.FirstOrDefault(w => w.State == WorkerStates.Error) is { } failed) return $"Error: {failed.Message}";
        if (online.FirstOrDefault(w => w.State == WorkerStates.Busy) is { } busy) return $"Training Graph on {busy.RepoUrl}";
        return "Idle";
    }
}
