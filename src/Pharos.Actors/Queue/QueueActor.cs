using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Queue;

/// <summary>
/// The single source of truth for pending tasks and job history (a cluster singleton on role <c>cloud</c>).
/// Every change is persisted before anyone hears of it; the rules live in <see cref="QueueState"/>.
/// </summary>
public sealed class QueueActor : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "pharos-queue";

    private readonly QueueSettings _settings;
    private readonly TimeProvider _clock;
    private readonly IActorRef _mediator;
    private readonly QueueState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Who waits on the write in flight: Persist stashes further commands, so there is at most one.
    private (IActorRef Client, object FailureReply)? _awaiting;
    private int _eventsSinceSnapshot;

    public ITimerScheduler Timers { get; set; } = null!;
    public override string PersistenceId => PersistenceIdValue;

    public QueueActor(QueueSettings settings, TimeProvider clock, IActorRef mediator)
    {
        _settings = settings;
        _clock = clock;
        _mediator = mediator;
        _state = new QueueState(settings.MaxQueueSize, settings.HistorySize);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is QueueSnapshot snapshot) _state.Restore(snapshot);
        });
        Recover<IPersistedEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Queue recovered at sequence {0}: {1} pending", LastSequenceNr, _state.PendingCount);
            Timers.StartPeriodicTimer(SweepTick.Instance, SweepTick.Instance, settings.SweepInterval);
            Self.Tell(SweepTick.Instance);
            PublishDepth();
        });

        Command<EnqueueTask>(Enqueue);
        Command<CancelJob>(Cancel);
        Command<SweepTick>(_ => Sweep());
        Command<GetJobs>(q => Sender.Tell(new JobsPage(_state.Jobs(Math.Clamp(q.Limit, 1, 100), q.Status))));
        Command<GetJob>(q => Sender.Tell(new JobLookup(_state.Find(q.TaskId))));
        Command<GetQueueDepth>(_ => Sender.Tell(_state.Depth()));
        Command<GetQueueStatus>(_ => Sender.Tell(new QueueStatus(_state.LiveCount(_clock.GetUtcNow()), 0, _settings.MaxQueueSize)));
        Command<SaveSnapshotSuccess>(s =>
            DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Queue snapshot failed; recovery replays more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old queue snapshots failed"));
    }

    public static Props Props(QueueSettings settings, TimeProvider clock, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new QueueActor(settings, clock, mediator));

    /// <summary>
    /// The queue under a backoff supervisor: a journal failure stops a persistent actor (Akka.Persistence's rule),
    /// and the supervisor brings it back, recovered, once the store answers again.
    /// </summary>
    public static Props SupervisedProps(QueueSettings settings, TimeProvider clock, IActorRef mediator) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(settings, clock, mediator), "queue",
            minBackoff: TimeSpan.FromMilliseconds(200), maxBackoff: TimeSpan.FromSeconds(5), randomFactor: 0.2, maxNrOfRetries: -1));

    private void Enqueue(EnqueueTask command)
    {
        var now = _clock.GetUtcNow();
        var decision = _state.DecideEnqueue(command, NewTaskId(), now, _settings.TaskTtlSeconds);
        if (decision.Refusal is { } refusal)
        {
            _log.Info("Refused {0}: {1}", command.RepoUrl, refusal.Reason);
            Sender.Tell(refusal);
            return;
        }

        var client = Sender;
        _awaiting = (client, new IngestRefused(IngestRefusal.StoreUnavailable,
            "The durable store did not take the task; nothing was accepted.", RetryAfterSeconds: 5));
        PersistAll(decision.Events, e =>
        {
            Applied(e);
            if (e is not TaskEnqueued enqueued) return;
            _awaiting = null;
            var job = _state.Find(enqueued.TaskId)!;
            client.Tell(new IngestAccepted(job.TaskId, job.RepoUrl, job.Priority, _state.PositionOf(job.TaskId),
                _state.PendingCount, _settings.MaxQueueSize, job.SubmittedAt, job.ExpiresAt));
            PublishDepth();
        });
    }

    private void Cancel(CancelJob command)
    {
        var decision = _state.DecideCancel(command, _clock.GetUtcNow());
        if (decision.Event is null)
        {
            Sender.Tell(new CancelJobResult(decision.Outcome, decision.Job));
            return;
        }

        var client = Sender;
        _awaiting = (client, new CancelJobResult(CancelOutcome.StoreUnavailable, decision.Job));
        Persist(decision.Event, e =>
        {
            Applied(e);
            _awaiting = null;
            client.Tell(new CancelJobResult(CancelOutcome.Cancelled, _state.Find(e.TaskId)));
            PublishDepth();
        });
    }

    private void Sweep()
    {
        var skipped = _state.Sweep(_clock.GetUtcNow());
        if (skipped.Count == 0)
        {
            PublishDepth();
            return;
        }
        PersistAll(skipped, Applied);
        DeferAsync(skipped, _ => PublishDepth());
    }

    private void Applied(IPersistedEvent e)
    {
        _state.Apply(e);
        LogTransition(e);
        if (++_eventsSinceSnapshot >= _settings.SnapshotEvery)
        {
            _eventsSinceSnapshot = 0;
            SaveSnapshot(_state.ToSnapshot());
        }
    }

    private void LogTransition(IPersistedEvent e)
    {
        switch (e)
        {
            case TaskEnqueued t:
                _log.Info("Task {0} queued: {1} (priority {2}, position {3} of {4}, expires {5:O})", t.TaskId, t.RepoUrl,
                    t.Priority.ToName(), _state.PositionOf(t.TaskId), _state.PendingCount, t.SubmittedAt.AddSeconds(t.TtlSeconds));
                break;
            case TaskSkipped s:
                _log.Info("Task {0} skipped: {1} (age {2:0}s, ttl {3}s)", s.TaskId, s.Reason, s.AgeSeconds, s.TtlSeconds);
                break;
            case TaskCancelled c:
                _log.Info("Task {0} cancelled by {1}", c.TaskId, c.By);
                break;
        }
    }

    private void PublishDepth() => _mediator.Tell(new Publish(Topics.QueueDepth, _state.Depth()));

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // The store is down: tell the waiting client now (503) rather than let it time out. The actor then stops
        // and its backoff supervisor restarts it, replaying whatever the journal did take.
        if (_awaiting is { } awaiting) awaiting.Client.Tell(awaiting.FailureReply);
        _awaiting = null;
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (_awaiting is { } awaiting) awaiting.Client.Tell(awaiting.FailureReply);
        _awaiting = null;
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    // Version 7 ids sort by creation time, which keeps ids readable in logs and journals.
    private static string NewTaskId() => Guid.CreateVersion7().ToString("N");

    private sealed class SweepTick
    {
        public static readonly SweepTick Instance = new();
    }
}
