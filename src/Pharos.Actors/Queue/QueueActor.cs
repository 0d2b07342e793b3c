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
/// <remarks>
/// Group commit: one write is in flight at a time, and the commands that arrive meanwhile are decided and applied
/// in order, then written together as one atomic batch. Clients hear their answers only once that batch is in the
/// journal. Queries wait while a batch is being written, so nobody reads what is not yet durable. If a write fails,
/// every waiting client hears 503 and the actor stops: its supervisor restarts it from the journal, which holds
/// none of the failed batch.
/// </remarks>
public sealed class QueueActor : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "pharos-queue";

    private readonly QueueSettings _settings;
    private readonly TimeProvider _clock;
    private readonly IActorRef _mediator;
    private readonly QueueState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Pending> _waiting = [];
    // The answers of the batch being written; null while no write is in flight.
    private List<Answer>? _writing;
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
        });

        Command<EnqueueTask>(command => Submit(command, Sender));
        Command<CancelJob>(command => Submit(command, Sender));
        Command<SweepTick>(tick => Submit(tick, ActorRefs.Nobody));
        Command<GetJobs>(q => AnswerQuery(() => new JobsPage(_state.Jobs(Math.Clamp(q.Limit, 1, 100), q.Status))));
        Command<GetJob>(q => AnswerQuery(() => new JobLookup(_state.Find(q.TaskId))));
        Command<GetQueueDepth>(_ => AnswerQuery(_state.Depth));
        Command<GetQueueStatus>(_ => AnswerQuery(() => new QueueStatus(_state.LiveCount(_clock.GetUtcNow()), 0, _settings.MaxQueueSize)));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
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

    /// <summary>Answers a query from durable state only: while a batch is being written, the query waits for it.</summary>
    private void AnswerQuery(Func<object> query)
    {
        if (_writing is null) Sender.Tell(query());
        else Stash.Stash();
    }

    private void Submit(object command, IActorRef client)
    {
        _waiting.Add(new Pending(command, client));
        if (_writing is null) WriteBatch();
    }

    private void WriteBatch()
    {
        var now = _clock.GetUtcNow();
        var events = new List<IPersistedEvent>();
        var answers = new List<Answer>();
        foreach (var (command, client) in _waiting)
        {
            var decided = Decide(_state, command, now);
            foreach (var e in decided.Events) _state.Apply(e);
            events.AddRange(decided.Events);
            if (decided.Reply is not null) answers.Add(new Answer(client, decided.Reply(_state), decided.FailureReply!));
        }
        // A sweep publishes the depth even when nothing expired, so late subscribers catch up within one interval.
        var swept = _waiting.Any(pending => pending.Command is SweepTick);
        _waiting.Clear();

        if (events.Count == 0)
        {
            foreach (var answer in answers) answer.Client.Tell(answer.Reply);
            if (swept) PublishDepth();
            return;
        }

        _writing = answers;
        PersistAllAsync(events, Written);
        DeferAsync(BatchWritten.Instance, _ =>
        {
            foreach (var answer in _writing ?? []) answer.Client.Tell(answer.Reply);
            _writing = null;
            PublishDepth();
            Stash.UnstashAll();
            if (_waiting.Count > 0) WriteBatch();
        });
    }

    private Decision Decide(QueueState batch, object command, DateTimeOffset now)
    {
        switch (command)
        {
            case EnqueueTask enqueue:
                var decision = batch.DecideEnqueue(enqueue, NewTaskId(), now, _settings.TaskTtlSeconds);
                if (decision.Refusal is { } refusal)
                {
                    _log.Info("Refused {0}: {1}", enqueue.RepoUrl, refusal.Reason);
                    return new Decision([], _ => refusal, StoreUnavailable);
                }
                var taskId = ((TaskEnqueued)decision.Events[^1]).TaskId;
                return new Decision(decision.Events, state =>
                {
                    var job = state.Find(taskId)!;
                    return new IngestAccepted(job.TaskId, job.RepoUrl, job.Priority, state.PositionOf(job.TaskId),
                        state.PendingCount, _settings.MaxQueueSize, job.SubmittedAt, job.ExpiresAt);
                }, StoreUnavailable);
            case CancelJob cancel:
                var cancelled = batch.DecideCancel(cancel, now);
                return new Decision(cancelled.Event is null ? [] : [cancelled.Event],
                    state => new CancelJobResult(cancelled.Outcome, state.Find(cancel.TaskId)),
                    new CancelJobResult(CancelOutcome.StoreUnavailable, cancelled.Job));
            case SweepTick:
                return new Decision(batch.Sweep(now), null, null);
            default:
                throw new ArgumentException($"QueueActor cannot decide {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>An event of the batch is durable (it was applied when it was decided).</summary>
    private void Written(IPersistedEvent e)
    {
        LogTransition(e);
        // A snapshot costs as much as the state is large, so a large queue snapshots less often: the cost per event
        // stays constant, and recovery never replays more events than the snapshot it skips would have held.
        if (++_eventsSinceSnapshot >= Math.Max(_settings.SnapshotEvery, _state.JobCount))
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
                _log.Info("Task {0} queued: {1} (priority {2}, expires {3:O})", t.TaskId, t.RepoUrl,
                    t.Priority.ToName(), t.SubmittedAt.AddSeconds(t.TtlSeconds));
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
        // The store is down: tell everyone waiting now (503, nothing was accepted) rather than let them time out.
        // The actor then stops, and its backoff supervisor restarts it, replaying whatever the journal did take.
        FailEveryoneWaiting();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The journal refused the batch (it could not serialize it) and nothing of it was written, but the state
        // already holds it: stop, so that the supervisor rebuilds the state from the journal.
        FailEveryoneWaiting();
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }

    private void FailEveryoneWaiting()
    {
        foreach (var answer in _writing ?? []) answer.Client.Tell(answer.FailureReply);
        _writing = null;
        foreach (var (command, client) in _waiting)
        {
            if (command is EnqueueTask) client.Tell(StoreUnavailable);
            else if (command is CancelJob) client.Tell(new CancelJobResult(CancelOutcome.StoreUnavailable, null));
        }
        _waiting.Clear();
    }

    private static readonly IngestRefused StoreUnavailable = new(IngestRefusal.StoreUnavailable,
        "The durable store did not take the task; nothing was accepted.", RetryAfterSeconds: 5);

    // Version 7 ids sort by creation time, which keeps ids readable in logs and journals.
    private static string NewTaskId() => Guid.CreateVersion7().ToString("N");

    private sealed record Pending(object Command, IActorRef Client);

    /// <summary>What a command adds to the batch, and what its client hears once the batch is written.</summary>
    private sealed record Decision(IReadOnlyList<IPersistedEvent> Events, Func<QueueState, object>? Reply, object? FailureReply);

    private sealed record Answer(IActorRef Client, object Reply, object FailureReply);

    private sealed class SweepTick
    {
        public static readonly SweepTick Instance = new();
    }

    private sealed class BatchWritten
    {
        public static readonly BatchWritten Instance = new();
    }
}
