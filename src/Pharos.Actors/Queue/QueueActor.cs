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
/// The single source of truth for pending tasks, leases and job history (a cluster singleton on role <c>cloud</c>).
/// Every change is persisted before anyone hears of it; the rules live in <see cref="QueueState"/>.
/// </summary>
/// <remarks>
/// Work is pulled: workers register (the queue watches them), idle ones hear <see cref="WorkAvailable"/> when a
/// task is pending, and a lease is granted in answer to <see cref="RequestWork"/>. A lease lasts while its worker
/// reports; a worker that is terminated, removed from the cluster or silent past the lease timeout loses it.
/// Which worker reference holds which lease is kept in memory only: after a recovery the workers register again
/// and name the lease they still run under.
/// </remarks>
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
    private readonly IQueueMetrics _metrics;
    private readonly QueueState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Pending> _waiting = [];
    private readonly Dictionary<IActorRef, WorkerEntry> _workers = new();
    // Lease id → the worker reference running under it; rebuilt from registrations after a recovery.
    private readonly Dictionary<string, IActorRef> _holders = new(StringComparer.Ordinal);
    // The answers of the batch being written; null while no write is in flight.
    private List<Answer>? _writing;
    private int _eventsSinceSnapshot;

    public ITimerScheduler Timers { get; set; } = null!;
    public override string PersistenceId => PersistenceIdValue;

    public QueueActor(QueueSettings settings, TimeProvider clock, IActorRef mediator, IQueueMetrics? metrics = null)
    {
        _settings = settings;
        _clock = clock;
        _mediator = mediator;
        _metrics = metrics ?? NoQueueMetrics.Instance;
        _state = new QueueState(settings.MaxQueueSize, settings.HistorySize, settings.MaxAttempts);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is QueueSnapshot snapshot) _state.Restore(snapshot);
        });
        Recover<IPersistedEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Queue recovered at sequence {0}: {1} pending, {2} running", LastSequenceNr, _state.PendingCount,
                _state.InFlightCount);
            Timers.StartPeriodicTimer(SweepTick.Instance, SweepTick.Instance, settings.SweepInterval);
            // Running tasks get a full lease from now: their workers register again and report, or the task moves on.
            foreach (var lease in _state.Leases) StartLeaseTimer(lease.TaskId, lease.LeaseId);
            Self.Tell(SweepTick.Instance);
        });

        Command<EnqueueTask>(command => Submit(command, Sender));
        Command<CancelJob>(command => Submit(command, Sender));
        Command<SweepTick>(tick => Submit(tick, ActorRefs.Nobody));
        Command<RegisterWorker>(Register);
        Command<RequestWork>(request =>
        {
            Registered(Sender, request.WorkerId);
            Submit(request, Sender);
        });
        Command<IWorkerReport>(report => Submit(report, Sender));
        Command<LeaseExpired>(expired => Submit(expired, ActorRefs.Nobody));
        Command<Terminated>(terminated =>
        {
            if (!_workers.Remove(terminated.ActorRef, out var worker)) return;
            _log.Info("Worker {0} at {1} is gone", worker.Id, worker.Address);
            Submit(new WorkerGone(terminated.ActorRef), ActorRefs.Nobody);
        });
        Command<GetJobs>(q => AnswerQuery(() => new JobsPage(_state.Jobs(Math.Clamp(q.Limit, 1, 100), q.Status))));
        Command<GetJob>(q => AnswerQuery(() => new JobLookup(_state.Find(q.TaskId))));
        Command<GetQueueDepth>(_ => AnswerQuery(_state.Depth));
        Command<GetQueueStatus>(_ => AnswerQuery(() =>
            new QueueStatus(_state.LiveCount(_clock.GetUtcNow()), _state.InFlightCount, _settings.MaxQueueSize)));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Queue snapshot failed; recovery replays more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old queue snapshots failed"));
    }

    public static Props Props(QueueSettings settings, TimeProvider clock, IActorRef mediator, IQueueMetrics? metrics = null) =>
        Akka.Actor.Props.Create(() => new QueueActor(settings, clock, mediator, metrics));

    /// <summary>
    /// The queue under a backoff supervisor: a journal failure stops a persistent actor (Akka.Persistence's rule),
    /// and the supervisor brings it back, recovered, once the store answers again.
    /// </summary>
    public static Props SupervisedProps(QueueSettings settings, TimeProvider clock, IActorRef mediator,
        IQueueMetrics? metrics = null) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(settings, clock, mediator, metrics), "queue",
                minBackoff: TimeSpan.FromMilliseconds(200), maxBackoff: TimeSpan.FromSeconds(5), randomFactor: 0.2, maxNrOfRetries: -1)
            // While the queue is down (the store does not answer its recovery), callers hear so at once rather than
            // waiting out their timeouts: an HTTP client gets 503 with Retry-After, a worker registers again later.
            .WithReplyWhileStopped(new Akka.Actor.Status.Failure(new QueueUnavailableException())));

    private void Register(RegisterWorker registration)
    {
        var worker = Registered(Sender, registration.WorkerId);
        worker.Address = registration.Address;
        _log.Info("Worker {0} registered from {1}", registration.WorkerId, registration.Address);
        Sender.Tell(new WorkerRegistered(registration.WorkerId));
        Submit(registration, Sender);
    }

    /// <summary>The worker behind <paramref name="worker"/>, watched from its first message on.</summary>
    private WorkerEntry Registered(IActorRef worker, string workerId)
    {
        if (_workers.TryGetValue(worker, out var entry)) return entry;
        Context.Watch(worker);
        return _workers[worker] = new WorkerEntry(workerId, worker.Path.Address.ToString());
    }

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
            var decided = Decide(_state, command, client, now);
            foreach (var e in decided.Events) _state.Apply(e);
            events.AddRange(decided.Events);
            if (decided.Reply is not null) answers.Add(new Answer(client, decided.Reply(_state), decided.FailureReply));
            foreach (var (target, message) in decided.Notices ?? []) answers.Add(new Answer(target, message, null));
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
        var dispatch = events.Any(e => e is TaskEnqueued or TaskRequeued);

        _writing = answers;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        PersistAllAsync(events, Written);
        DeferAsync(BatchWritten.Instance, _ =>
        {
            _metrics.BatchWritten(System.Diagnostics.Stopwatch.GetElapsedTime(started), events.Count);
            foreach (var answer in _writing ?? []) answer.Client.Tell(answer.Reply);
            _writing = null;
            PublishDepth();
            if (dispatch) OfferWork();
            Stash.UnstashAll();
            if (_waiting.Count > 0) WriteBatch();
        });
    }

    private Decision Decide(QueueState batch, object command, IActorRef client, DateTimeOffset now)
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
                // A running task's worker is told to stop once the cancellation is durable.
                var notices = batch.LeaseOf(cancel.TaskId) is { } running && cancelled.Event is not null
                    ? Release(running, LeaseEndReason.Cancelled)
                    : [];
                return new Decision(cancelled.Event is null ? [] : [cancelled.Event],
                    state => new CancelJobResult(cancelled.Outcome, state.Find(cancel.TaskId)),
                    new CancelJobResult(CancelOutcome.StoreUnavailable, cancelled.Job), notices);
            case SweepTick:
                return new Decision(batch.Sweep(now), null, null);
            case RegisterWorker registration:
                return DecideRegistration(batch, registration, client, now);
            case RequestWork request:
                return DecideRequest(batch, request, client, now);
            case IWorkerReport report:
                return DecideReport(batch, report, client, now);
            case LeaseExpired expired:
                if (batch.CurrentLease(expired.TaskId, expired.LeaseId) is not { } lapsed) return Decision.None;
                _log.Warning("Lease {0} of task {1} expired: its worker was silent for {2}", lapsed.LeaseId, lapsed.TaskId,
                    _settings.LeaseDuration);
                return LoseLeases(batch, [lapsed], LeaseEndReason.LeaseExpired, now);
            case WorkerGone gone:
                var held = _holders.Where(h => h.Value.Equals(gone.Worker))
                    .Select(h => batch.Leases.FirstOrDefault(l => l.LeaseId == h.Key)).OfType<LeaseRecord>().ToList();
                return LoseLeases(batch, held, LeaseEndReason.WorkerTerminated, now);
            default:
                throw new ArgumentException($"QueueActor cannot decide {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>
    /// A (re)registration: every lease the queue holds for this worker id, except the one it says it still runs
    /// under, is void (the worker restarted and lost that work); the one it runs under is bound to it again.
    /// </summary>
    private Decision DecideRegistration(QueueState batch, RegisterWorker registration, IActorRef worker, DateTimeOffset now)
    {
        var notices = new List<(IActorRef, object)>();
        if (registration is { RunningTaskId: { } taskId, RunningLeaseId: { } leaseId })
        {
            if (batch.CurrentLease(taskId, leaseId) is not null)
            {
                _holders[leaseId] = worker;
                StartLeaseTimer(taskId, leaseId);
            }
            else notices.Add((worker, new StopTask(taskId, leaseId, LeaseEndReason.LeaseExpired)));
        }
        var orphaned = batch.Leases
            .Where(l => l.WorkerId == registration.WorkerId && l.LeaseId != registration.RunningLeaseId).ToList();
        var lost = LoseLeases(batch, orphaned, LeaseEndReason.WorkerRestarted, now);
        var idle = registration.RunningLeaseId is null || notices.Count > 0;
        if (idle && _workers.TryGetValue(worker, out var entry)) entry.Idle = true;
        return lost with { Notices = [.. lost.Notices ?? [], .. notices] };
    }

    private Decision DecideRequest(QueueState batch, RequestWork request, IActorRef client, DateTimeOffset now)
    {
        // Registered when the request arrived; gone since only if it terminated, and then it asks no more.
        if (!_workers.TryGetValue(client, out var worker)) return Decision.None;
        if (_holders.ContainsValue(client))
        {
            _log.Warning("Worker {0} asked for work while holding a lease; ignored", worker.Id);
            return Decision.None;
        }
        var events = batch.DecideLease(worker.Id, worker.Address, NewLeaseId(), now);
        if (events.Count == 0 || events[^1] is not TaskLeased leased)
        {
            worker.Idle = true;
            worker.Offered = false;
            return new Decision(events, _ => NoWorkAvailable.Instance, NoWorkAvailable.Instance);
        }
        worker.Idle = false;
        worker.Offered = false;
        _holders[leased.LeaseId] = client;
        StartLeaseTimer(leased.TaskId, leased.LeaseId);
        return new Decision(events, state =>
        {
            var job = state.Find(leased.TaskId)!;
            return new TaskAssigned(new WorkTask(job.TaskId, job.RepoUrl, job.Priority, job.SubmittedAt, job.Ttl, leased.Attempt),
                leased.LeaseId);
        }, NoWorkAvailable.Instance);
    }

    private Decision DecideReport(QueueState batch, IWorkerReport report, IActorRef worker, DateTimeOffset now)
    {
        var decided = batch.DecideReport(report, now);
        var (taskId, leaseId) = (report.TaskId, report.LeaseId);
        if (decided.Outcome == ReportOutcome.StaleLease)
        {
            // The work is someone else's now (or nobody's): the worker discards it.
            _log.Info("Ignored a {0} of task {1} under stale lease {2}", report.GetType().Name, taskId, leaseId);
            return Decision.None with { Notices = [(worker, new StopTask(taskId, leaseId, LeaseEndReason.LeaseExpired))] };
        }
        if (report is ReportProgress) StartLeaseTimer(taskId, leaseId);
        else
        {
            Timers.Cancel(LeaseTimerKey(taskId));
            _holders.Remove(leaseId);
        }
        return new Decision(decided.Event is null ? [] : [decided.Event], null, null);
    }

    /// <summary>Requeues (or fails, past the attempt limit) the tasks of leases whose workers are lost.</summary>
    private Decision LoseLeases(QueueState batch, IReadOnlyList<LeaseRecord> leases, LeaseEndReason reason, DateTimeOffset now)
    {
        var notices = leases.SelectMany(lease => Release(lease, reason)).ToList();
        return new Decision(leases.Select(lease => batch.DecideLost(lease, reason, now)).ToList(), null, null, notices);
    }

    /// <summary>Forgets a lease's holder and timer; the holder, if still known, is told to stop.</summary>
    private IReadOnlyList<(IActorRef, object)> Release(LeaseRecord lease, LeaseEndReason reason)
    {
        Timers.Cancel(LeaseTimerKey(lease.TaskId));
        if (!_holders.Remove(lease.LeaseId, out var holder)) return [];
        if (_workers.TryGetValue(holder, out var worker)) worker.Idle = false;
        return [(holder, new StopTask(lease.TaskId, lease.LeaseId, reason))];
    }

    private void StartLeaseTimer(string taskId, string leaseId) =>
        Timers.StartSingleTimer(LeaseTimerKey(taskId), new LeaseExpired(taskId, leaseId), _settings.LeaseDuration);

    private static string LeaseTimerKey(string taskId) => "lease:" + taskId;

    /// <summary>Tells every idle worker not yet told that work is pending; each answers with RequestWork.</summary>
    private void OfferWork()
    {
        if (_state.PendingCount == 0) return;
        foreach (var (worker, entry) in _workers)
        {
            if (!entry.Idle || entry.Offered) continue;
            entry.Offered = true;
            worker.Tell(WorkAvailable.Instance);
        }
    }

    /// <summary>An event of the batch is durable (it was applied when it was decided).</summary>
    private void Written(IPersistedEvent e)
    {
        LogTransition(e);
        if (e is TaskCompleted completed) _metrics.TaskCompleted(completed.Metrics.StageSeconds);
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
                _log.Info("Task {0} skipped: {1} (age {2:0}s, ttl {3}s)", s.TaskId, s.Reason.ToName(), s.AgeSeconds, s.TtlSeconds);
                break;
            case TaskCancelled c:
                _log.Info("Task {0} cancelled by {1}", c.TaskId, c.By);
                break;
            case TaskLeased l:
                _log.Info("Task {0} leased to {1} (attempt {2}, lease {3})", l.TaskId, l.WorkerId, l.Attempt, l.LeaseId);
                break;
            case TaskProgressed p:
                _log.Info("Task {0} is {1}", p.TaskId, p.Stage.ToName());
                break;
            case TaskCompleted c:
                _log.Info("Task {0} completed: commit {1}, {2} files, {3} edges", c.TaskId, c.Metrics.CommitSha,
                    c.Metrics.FilesProcessed, c.Metrics.Edges);
                break;
            case TaskFailed f:
                _log.Warning("Task {0} failed: {1}: {2}", f.TaskId, f.Reason.ToName(), f.Error);
                break;
            case TaskRequeued r:
                _log.Warning("Task {0} requeued: {1}", r.TaskId, r.Reason.ToName());
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
        foreach (var answer in _writing ?? [])
            if (answer.FailureReply is not null) answer.Client.Tell(answer.FailureReply);
        _writing = null;
        foreach (var (command, client) in _waiting)
        {
            if (command is EnqueueTask) client.Tell(StoreUnavailable);
            else if (command is CancelJob) client.Tell(new CancelJobResult(CancelOutcome.StoreUnavailable, null));
            else if (command is RequestWork) client.Tell(NoWorkAvailable.Instance);
        }
        _waiting.Clear();
    }

    private static readonly IngestRefused StoreUnavailable = new(IngestRefusal.StoreUnavailable,
        "The durable store did not take the task; nothing was accepted.", RetryAfterSeconds: 5);

    // Version 7 ids sort by creation time, which keeps ids readable in logs and journals.
    private static string NewTaskId() => Guid.CreateVersion7().ToString("N");

    private static string NewLeaseId() => Guid.NewGuid().ToString("N");

    private sealed record Pending(object Command, IActorRef Client);

    /// <summary>
    /// What a command adds to the batch, what its client hears once the batch is written (or if it is not), and
    /// what others are told once it is written.
    /// </summary>
    private sealed record Decision(IReadOnlyList<IPersistedEvent> Events, Func<QueueState, object>? Reply, object? FailureReply,
        IReadOnlyList<(IActorRef Target, object Message)>? Notices = null)
    {
        public static readonly Decision None = new([], null, null);
    }

    private sealed record Answer(IActorRef Client, object Reply, object? FailureReply);

    private sealed class WorkerEntry(string id, string address)
    {
        public string Id { get; } = id;
        public string Address { get; set; } = address;
        /// <summary>Asked for work and got none: hears WorkAvailable when a task arrives.</summary>
        public bool Idle { get; set; }
        /// <summary>Told WorkAvailable and not heard from since: not told again.</summary>
        public bool Offered { get; set; }
    }

    private sealed record LeaseExpired(string TaskId, string LeaseId);

    private sealed record WorkerGone(IActorRef Worker);

    private sealed class SweepTick
    {
        public static readonly SweepTick Instance = new();
    }

    private sealed class BatchWritten
    {
        public static readonly BatchWritten Instance = new();
    }
}

/// <summary>The queue is down, waiting to recover from a durable store that does not answer; nothing was accepted.</summary>
public sealed class QueueUnavailableException()
    : Exception("The durable store is unavailable and the queue is waiting to recover; nothing was accepted.");
