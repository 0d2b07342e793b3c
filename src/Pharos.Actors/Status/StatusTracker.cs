using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.PublishSubscribe;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Status;

/// <summary>
/// The read model behind `GET /worker/status`, one per cloud node: the queue depth QueueActor publishes and the
/// workers' own reports. A worker whose node is unreachable or has left shows as offline. Answers from memory,
/// so status reads never reach the journal or the workers. Local subscribers (the WebSocket and SSE streams, the
/// metrics) get the whole view on subscribing and after every change, at most once per <see cref="PushInterval"/>.
/// </summary>
public sealed class StatusTracker : ReceiveActor, IWithTimers
{
    /// <summary>
    /// After a node comes up or back, its workers are asked for their status once DistributedPubSub's registry
    /// gossip (every second) has had time to reach it, and once more in case the first round was still too early.
    /// </summary>
    private static readonly TimeSpan[] AskAfterNodeUp = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    /// <summary>How long a worker that went offline stays in the list.</summary>
    public static readonly TimeSpan OfflineRetention = TimeSpan.FromHours(1);

    private readonly IActorRef _queue;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, WorkerStatusChanged> _workers = new(StringComparer.Ordinal);
    // Nodes that are unreachable or gone: their workers show as offline until the node is back. An address is kept
    // only while a worker of it is listed, so nodes that never come back (a new address each restart) do not pile up.
    private readonly HashSet<string> _downAddresses = new(StringComparer.Ordinal);
    private QueueDepthChanged _depth;
    private readonly HashSet<IActorRef> _subscribers = [];
    // A change arrived while the push interval was still running: the view goes out when it ends.
    private bool _dirty;

    /// <summary>The shortest gap between two views pushed to subscribers: a burst of reports becomes one view.</summary>
    public static readonly TimeSpan PushInterval = TimeSpan.FromMilliseconds(100);

    public ITimerScheduler Timers { get; set; } = null!;

    public StatusTracker(IActorRef queue, IActorRef mediator, TimeProvider clock, int maxQueueSize)
    {
        _queue = queue;
        _mediator = mediator;
        _clock = clock;
        _depth = new QueueDepthChanged(0, 0, maxQueueSize, null);

        Receive<QueueDepthChanged>(depth =>
        {
            // The soonest expiry is not part of the view: only the counts make a change worth pushing.
            var changed = (depth.Pending, depth.InFlight, depth.Max) != (_depth.Pending, _depth.InFlight, _depth.Max);
            _depth = depth;
            if (changed) Changed();
        });
        Receive<WorkerStatusChanged>(Update);
        Receive<SubscribeStatus>(subscribe =>
        {
            if (_subscribers.Add(subscribe.Subscriber)) Context.Watch(subscribe.Subscriber);
            subscribe.Subscriber.Tell(View());
        });
        Receive<UnsubscribeStatus>(unsubscribe =>
        {
            if (_subscribers.Remove(unsubscribe.Subscriber)) Context.Unwatch(unsubscribe.Subscriber);
        });
        Receive<Terminated>(terminated => _subscribers.Remove(terminated.ActorRef));
        Receive<PushTick>(_ =>
        {
            if (!_dirty) return;
            _dirty = false;
            Push();
        });
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
        Receive<AskWorkers>(_ => _mediator.Tell(new Publish(Topics.WorkerStatusRequests, WorkerStatusRequested.Instance)));
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
        if (_workers.TryGetValue(status.WorkerId, out var known) && known.At > status.At) return;
        _workers[status.WorkerId] = status;
        // A new worker: workers offline past their retention go now, whether or not anyone reads the view.
        if (known is null) Prune(_clock.GetUtcNow());
        Changed();
    }

    /// <summary>Workers listed (online, or offline for less than <see cref="OfflineRetention"/>).</summary>
    internal int WorkerCount => _workers.Count;

    /// <summary>Addresses of nodes that are down and still have a worker listed.</summary>
    internal int DownAddressCount => _downAddresses.Count;

    /// <summary>Pushes at once when the last push is an interval old, else once the interval ends (leading and trailing edge).</summary>
    private void Changed()
    {
        if (_subscribers.Count == 0) return;
        if (Timers.IsTimerActive(PushTick.Instance))
        {
            _dirty = true;
            return;
        }
        Push();
    }

    private void Push()
    {
        var view = View();
        foreach (var subscriber in _subscribers) subscriber.Tell(view);
        Timers.StartSingleTimer(PushTick.Instance, PushTick.Instance, PushInterval);
    }

    private sealed class PushTick
    {
        public static readonly PushTick Instance = new();
    }

    private void NodeDown(Address address)
    {
        var key = address.ToString();
        if (!_downAddresses.Add(key)) return;
        var now = _clock.GetUtcNow();
        foreach (var worker in _workers.Values.Where(w => w.Address == key && w.State != WorkerState.Offline).ToList())
            _workers[worker.WorkerId] = worker with
            {
                // Its task is the queue's to requeue now: the view no longer ties it to this worker. At stays the
                // time of its last report: the view shows it as last seen.
                State = WorkerState.Offline,
                TaskId = null,
                RepoUrl = null,
                Stage = null,
                Progress = null,
                Message = "The node is unreachable",
                Since = now,
            };
        Changed();
    }

    /// <summary>A node joined or is reachable again: its workers are asked for their current status.</summary>
    private void NodeBack(Address address)
    {
        if (_downAddresses.Remove(address.ToString())) Changed();
        if (address.Equals(Cluster.Get(Context.System).SelfAddress)) return;
        for (var i = 0; i < AskAfterNodeUp.Length; i++)
            Timers.StartSingleTimer($"ask-{i}", AskWorkers.Instance, AskAfterNodeUp[i]);
    }

    private sealed class AskWorkers
    {
        public static readonly AskWorkers Instance = new();
    }

    /// <summary>Forgets workers offline past <see cref="OfflineRetention"/>, and down addresses no listed worker has.</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var gone in _workers.Values.Where(w => w.State == WorkerState.Offline && now - w.Since > OfflineRetention).ToList())
            _workers.Remove(gone.WorkerId);
        _downAddresses.RemoveWhere(address => _workers.Values.All(w => w.Address != address));
    }

    private WorkerStatusView View()
    {
        Prune(_clock.GetUtcNow());
        var workers = _workers.Values.OrderBy(w => w.WorkerId, StringComparer.Ordinal).ToList();
        return new WorkerStatusView(OverallStatus(workers), workers,
            new QueueStatus(_depth.Pending, _depth.InFlight, _depth.Max));
    }

    /// <summary>The original service's top-level strings: Offline, Error: ..., Training Graph on {repo}, Idle.</summary>
    internal static string OverallStatus(IReadOnlyList<WorkerStatusChanged> workers)
    {
        var online = workers.Where(w => w.State != WorkerState.Offline).ToList();
        if (online.Count == 0) return "Offline";
        if (online.FirstOrDefault(w => w.State == WorkerState.Busy) is { } busy) return $"Training Graph on {busy.RepoUrl}";
        if (online.FirstOrDefault(w => w.State == WorkerState.Error) is { } failed) return $"Error: {failed.Message}";
        return "Idle";
    }
}

/// <summary>
/// Local (the tracker is one per cloud node, and so are its readers): the tracker's whole state, as it answers
/// <see cref="GetWorkerStatus"/> and pushes to subscribers. Each worker is its last report; <see cref="WorkerStatusChanged.At"/>
/// is when it was last seen.
/// </summary>
/// <param name="Status">The original service's top-level string (<see cref="StatusTracker.OverallStatus"/>).</param>
public sealed record WorkerStatusView(string Status, IReadOnlyList<WorkerStatusChanged> Workers, QueueStatus Queue);

/// <summary>Local: asks the StatusTracker for its <see cref="WorkerStatusView"/>.</summary>
public sealed record GetWorkerStatus
{
    public static readonly GetWorkerStatus Instance = new();
}

/// <summary>Local: <see cref="Subscriber"/> gets the current <see cref="WorkerStatusView"/> now and after every change, until it unsubscribes or stops.</summary>
public sealed record SubscribeStatus(IActorRef Subscriber);

public sealed record UnsubscribeStatus(IActorRef Subscriber);
