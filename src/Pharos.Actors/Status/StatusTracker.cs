using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Status;

/// <summary>
/// The read model behind `GET /worker/status`, one per cloud node: the queue depth QueueActor publishes and the
/// workers' own reports. A worker whose node is unreachable or has left shows as offline. Answers from memory,
/// so status reads never reach the journal or the workers.
/// </summary>
public sealed class StatusTracker : ReceiveActor
{
    /// <summary>How long a worker that went offline stays in the list.</summary>
    public static readonly TimeSpan OfflineRetention = TimeSpan.FromHours(1);

    private readonly IActorRef _queue;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, WorkerView> _workers = new(StringComparer.Ordinal);
    // Nodes that are unreachable or gone: their workers show as offline until the node is back.
    private readonly HashSet<string> _downAddresses = new(StringComparer.Ordinal);
    private QueueDepthChanged _depth;

    public StatusTracker(IActorRef queue, IActorRef mediator, TimeProvider clock, int maxQueueSize)
    {
        _queue = queue;
        _mediator = mediator;
        _clock = clock;
        _depth = new QueueDepthChanged(0, 0, maxQueueSize, null);

        Receive<QueueDepthChanged>(depth => _depth = depth);
        Receive<WorkerStatusChanged>(Update);
        Receive<SubscribeAck>(ack =>
        {
            // Whatever was published before this node subscribed is asked for once.
            if (ack.Subscribe.Topic == Topics.QueueDepth) _queue.Tell(GetQueueDepth.Instance);
            else if (ack.Subscribe.Topic == Topics.WorkerStatus)
                _mediator.Tell(new Publish(Topics.WorkerStatusRequests, WorkerStatusRequested.Instance));
        });
        Receive<ClusterEvent.UnreachableMember>(e => NodeDown(e.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(e => NodeDown(e.Member.Address));
        Receive<ClusterEvent.ReachableMember>(e => NodeBack(e.Member.Address));
        Receive<ClusterEvent.MemberUp>(e => NodeBack(e.Member.Address));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<GetWorkerStatus>(_ => Sender.Tell(View()));
    }

    public static Props Props(IActorRef queue, IActorRef mediator, TimeProvider clock, int maxQueueSize) =>
        Akka.Actor.Props.Create(() => new StatusTracker(queue, mediator, clock, maxQueueSize));

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(Topics.QueueDepth, Self));
        _mediator.Tell(new Subscribe(Topics.WorkerStatus, Self));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void Update(WorkerStatusChanged status)
    {
        // Publications from one worker arrive in order; one from before a restart must not undo a newer one.
        if (_workers.TryGetValue(status.WorkerId, out var known) && known.LastSeen > status.At) return;
        _workers[status.WorkerId] = new WorkerView(status.WorkerId, status.Address, status.State, status.TaskId,
            status.RepoUrl, status.Stage, status.Progress, status.Message, status.Since, status.At);
    }

    private void NodeDown(Address address)
    {
        var key = address.ToString();
        if (!_downAddresses.Add(key)) return;
        var now = _clock.GetUtcNow();
        foreach (var worker in _workers.Values.Where(w => w.Address == key && w.State != WorkerStates.Offline).ToList())
            _workers[worker.Id] = worker with
            {
                State = WorkerStates.Offline, Stage = null, Progress = null, Message = "The node is unreachable", Since = now,
            };
    }

    private void NodeBack(Address address)
    {
        // Its workers tell their current status again.
        if (_downAddresses.Remove(address.ToString()))
            _mediator.Tell(new Publish(Topics.WorkerStatusRequests, WorkerStatusRequested.Instance));
    }

    private WorkerStatusView View()
    {
        var now = _clock.GetUtcNow();
        foreach (var gone in _workers.Values.Where(w => w.State == WorkerStates.Offline && now - w.Since > OfflineRetention).ToList())
            _workers.Remove(gone.Id);
        var workers = _workers.Values.OrderBy(w => w.Id, StringComparer.Ordinal).ToList();
        return new WorkerStatusView(OverallStatus(workers), workers,
            new QueueStatus(_depth.Pending, _depth.InFlight, _depth.Max));
    }

    /// <summary>The original service's top-level strings: Offline, Error: ..., Training Graph on {repo}, Idle.</summary>
    internal static string OverallStatus(IReadOnlyList<WorkerView> workers)
    {
        var online = workers.Where(w => w.State != WorkerStates.Offline).ToList();
        if (online.Count == 0) return "Offline";
        if (online.FirstOrDefault(w => w.State == WorkerStates.Busy) is { } busy) return $"Training Graph on {busy.RepoUrl}";
        if (online.FirstOrDefault(w => w.State == WorkerStates.Error) is { } failed) return $"Error: {failed.Message}";
        return "Idle";
    }
}
