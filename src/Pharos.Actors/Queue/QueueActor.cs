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
/// Every change is persisted before anyone hears of it. The actor keeps the journal, the timers and the replies; the
/// rules are <see cref="QueueDecider{TRef}"/>'s, the state <see cref="QueueState"/>, the workers and the leases they
/// hold <see cref="WorkerRegistry{TRef}"/>.
/// </summary>
/// <remarks>
/// Work is pulled: workers register (the queue watches them), idle ones hear <see cref="WorkAvailable"/> when a
/// task is pending, and a lease is granted in answer to <see cref="RequestWork"/>. A lease lasts while its worker
/// reports; a worker that is terminated, removed from the cluster or silent past the lease timeout loses it.
/// Which worker reference holds which lease is kept in memory only: after a recovery the workers register again
/// and name the lease they still run under.
/// </remarks>
/// <remarks>
/// Group commit: one write is in flight at a time, and the commands that arrive meanwhile are decided in order, each
/// against the events and effects of those before it, then their events are written together as one atomic batch.
/// Only once that batch is in the journal do its effects apply (worker registry, lease timers) and clients hear
/// their answers. Queries wait while a batch is being written, so nobody reads what is not yet durable. If a write
/// fails, every waiting client hears 503 and the actor stops: its supervisor restarts it from the journal, which
/// holds none of the failed batch.
/// </remarks>
public sealed class QueueActor : ReceivePersistentActor, IWithTimers
{
    public const string PersistenceIdValue = "pharos-queue";

    private readonly QueueSettings _settings;
    private readonly TimeProvider _clock;
    private readonly IActorRef _mediator;
    private readonly IQueueMetrics _metrics;
    private readonly QueueState _state;
    private readonly WorkerRegistry<IActorRef> _workers = new();
    private readonly QueueDecider<IActorRef> _decider;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Commands not yet decided: they arrived while a batch was being written.
    private readonly List<Received<IActorRef>> _waiting = [];
    // The batch being written; null while no write is in flight.
    private QueueBatch<IActorRef>? _writing;
    private int _eventsSinceSnapshot;
    // The sequence number of the newest snapshot known to be saved (or recovered from); 0 before the first.
    private long _snapshotSequenceNr;

    public ITimerScheduler Timers { get; set; } = null!;
    public override string PersistenceId => PersistenceIdValue;

    public QueueActor(QueueSettings settings, TimeProvider clock, IActorRef mediator, IQueueMetrics? metrics = null,
        Ingest.RepoUrlSyntax? urls = null)
    {
        _settings = settings;
        _clock = clock;
        _mediator = mediator;
        _metrics = metrics ?? NoQueueMetrics.Instance;
        _state = new QueueState(settings.MaxQueueSize, settings.HistorySize, settings.MaxAttempts);
        _decider = new QueueDecider<IActorRef>(settings, urls: urls);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not QueueSnapshot snapshot) return;
            _state.Restore(snapshot);
            _snapshotSequenceNr = offer.Metadata.SequenceNr;
        });
        Recover<IPersistedEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _log.Info("Queue recovered at sequence {0}: {1} pending, {2} running", LastSequenceNr, _state.PendingCount,
                _state.InFlightCount);
            Timers.StartPeriodicTimer(SweepExpired.Instance, SweepExpired.Instance, settings.SweepInterval);
            // Running tasks get a full lease from now: their workers register again and report, or the task moves on.
            foreach (var lease in _state.Leases) StartLeaseTimer(lease.TaskId, lease.LeaseId);
            Self.Tell(SweepExpired.Instance);
        });

        // Tasks come from a cloud node's HTTP API (its ingest gateway), which checked the token and the URL rules;
        // from any other member (an edge, or a peer posing as one) they are refused and logged.
        Command<EnqueueTask>(command => FromCloud(command));
        Command<CancelJob>(command => FromCloud(command));
        Command<SweepExpired>(tick => Submit(tick, ActorRefs.Nobody));
        Command<RegisterWorker>(registration =>
        {
            if (LiveHolderElsewhere(registration.WorkerId) is { } holder)
            {
                // Worker ids are public (GET /worker/status): a member must not take a live worker's id, and with it
                // that worker's lease. No answer: the worker registers again every few seconds, and gets in once the
                // holder is gone (an edge restarted on a new port: once its old incarnation is downed).
                _log.Warning("Refused the registration of worker {0} from {1}: the id is held by a live worker at {2}",
                    registration.WorkerId, Sender.Path.Address, holder.Path.Address);
                return;
            }
            if (_workers.Register(Sender, registration.WorkerId, registration.Address)) Context.Watch(Sender);
            _log.Info("Worker {0} registered from {1}", registration.WorkerId, registration.Address);
            Sender.Tell(new WorkerRegistered(registration.WorkerId, registration.Challenge));
            Submit(registration, Sender);
        });
        Command<RequestWork>(request =>
        {
            // A worker is watched from its first message on.
            if (_workers.Connect(Sender, request.WorkerId, Sender.Path.Address.ToString())) Context.Watch(Sender);
            Submit(request, Sender);
        });
        Command<IWorkerReport>(report => Submit(report, Sender));
        // Only a cloud node's result intake speaks for a stored result.
        Command<MayDeliver>(ask => FromCloud(ask));
        Command<RecordResult>(result => FromCloud(result));
        Command<LeaseExpired>(expired => Submit(expired, ActorRefs.Nobody));
        Command<Terminated>(terminated =>
        {
            if (_workers.Disconnect(terminated.ActorRef) is not { } worker) return;
            _log.Info("Worker {0} at {1} is gone", worker.Id, worker.Address);
            Submit(new WorkerGone<IActorRef>(terminated.ActorRef), ActorRefs.Nobody);
        });
        Command<GetJobs>(q => AnswerQuery(() => new JobsPage(_state.Jobs(Math.Clamp(q.Limit, 1, 100), q.Status, q.FinishedOnly))));
        Command<GetJob>(q => AnswerQuery(() => new JobLookup(_state.FindByIdOrNumber(q.TaskId))));
        Command<GetQueueDepth>(_ => AnswerQuery(_state.Depth));
        Command<GetQueueStatus>(_ => AnswerQuery(() =>
            new QueueStatus(_state.LiveCount(_clock.GetUtcNow()), _state.InFlightCount, _settings.MaxQueueSize)));
        Command<SaveSnapshotSuccess>(saved => TrimBehind(saved.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Queue snapshot failed; recovery replays more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning(f.Cause, "Deleting old queue snapshots failed"));
        // The events behind the snapshot before are gone: now the snapshots before that one.
        Command<DeleteMessagesSuccess>(trimmed => DeleteSnapshots(new SnapshotSelectionCriteria(trimmed.ToSequenceNr - 1)));
        Command<DeleteMessagesFailure>(f => _log.Warning(f.Cause, "Trimming the queue's journal failed; the next snapshot tries again"));
    }

    public static Props Props(QueueSettings settings, TimeProvider clock, IActorRef mediator, IQueueMetrics? metrics = null,
        Ingest.RepoUrlSyntax? urls = null) =>
        Akka.Actor.Props.Create(() => new QueueActor(settings, clock, mediator, metrics, urls));

    /// <summary>
    /// The queue under a backoff supervisor: a journal failure stops a persistent actor (Akka.Persistence's rule),
    /// and the supervisor brings it back, recovered, once the store answers again.
    /// </summary>
    public static Props SupervisedProps(QueueSettings settings, TimeProvider clock, IActorRef mediator,
        IQueueMetrics? metrics = null, Ingest.RepoUrlSyntax? urls = null) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(settings, clock, mediator, metrics, urls), "queue",
                minBackoff: TimeSpan.FromMilliseconds(200), maxBackoff: TimeSpan.FromSeconds(5), randomFactor: 0.2, maxNrOfRetries: -1)
            // While the queue is down (the store does not answer its recovery), callers hear so at once rather than
            // waiting out their timeouts: an HTTP client gets 503 with Retry-After, a worker registers again later.
            .WithReplyWhileStopped(new Akka.Actor.Status.Failure(new QueueUnavailableException())));

    /// <summary>
    /// A worker registered under <paramref name="workerId"/> on another node than the sender's, whose node is still a
    /// reachable member (or this node); null when the id is free to take.
    /// </summary>
    private IActorRef? LiveHolderElsewhere(string workerId)
    {
        var from = Sender.Path.Address;
        return _workers.WithId(workerId).FirstOrDefault(holder =>
        {
            var at = holder.Path.Address;
            if (holder.Equals(Sender) || at == from) return false;
            if (at.HasLocalScope) return true;
            // Only remote holders need the cluster (actors tested without one register local workers).
            var state = Akka.Cluster.Cluster.Get(Context.System).State;
            // Unreachable is not gone: a busy or briefly cut edge keeps its id (a peer that merely knows the id must
            // not take its lease in that moment) until it is downed or leaves.
            return state.Members.Any(m => m.Address == at && m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp
                                          or Akka.Cluster.MemberStatus.Joining);
        });
    }

    private void FromCloud(object command)
    {
        if (Hosting.SenderRoles.IsLocalOr(Context.System, Sender, Hosting.PharosAkkaHosting.CloudRole)) Submit(command, Sender);
        else _log.Warning("Ignored a {0} from {1}, which is not a cloud node of this cluster", command.GetType().Name, Sender.Path.Address);
    }

    /// <summary>Answers a query from durable state only: while a batch is being written, the query waits for it.</summary>
    private void AnswerQuery(Func<object> query)
    {
        if (_writing is null) Sender.Tell(query());
        else Stash.Stash();
    }

    private void Submit(object command, IActorRef sender)
    {
        _waiting.Add(new Received<IActorRef>(command, sender));
        if (_writing is null) WriteBatch();
    }

    /// <summary>Decides every waiting command, then writes their events as one batch and acts on it once durable.</summary>
    private void WriteBatch()
    {
        var batch = _decider.DecideBatch(_state, _workers, _waiting, _clock.GetUtcNow());
        foreach (var note in batch.Notes) _log.Log(note.Level, note.Template, note.Args);
        // A sweep publishes the depth even when nothing expired, so late subscribers catch up within one interval.
        var swept = _waiting.Any(command => command.Message is SweepExpired);
        _waiting.Clear();

        if (batch.Events.Count == 0)
        {
            Commit(batch);
            if (swept) PublishDepth();
            return;
        }
        _writing = batch;
        var started = _clock.GetTimestamp();
        PersistAllAsync(batch.Events, Written);
        DeferAsync(batch, _ =>
        {
            _metrics.BatchWritten(_clock.GetElapsedTime(started), batch.Events.Count);
            _writing = null;
            Commit(batch);
            PublishDepth();
            Stash.UnstashAll();
            if (_waiting.Count > 0) WriteBatch();
        });
    }

    /// <summary>The batch is durable (or had nothing to write): its effects apply, and everyone hears of it.</summary>
    private void Commit(QueueBatch<IActorRef> batch)
    {
        var offers = _workers.Commit(batch, _state);
        foreach (var effect in batch.Effects.OfType<LeaseEffect<IActorRef>>())
        {
            if (effect.Running) StartLeaseTimer(effect.TaskId, effect.LeaseId);
            else Timers.Cancel(LeaseTimerKey(effect.TaskId));
        }
        foreach (var answer in batch.Answers) answer.To.Tell(answer.Message);
        foreach (var worker in offers) worker.Tell(WorkAvailable.Instance);
    }

    private void StartLeaseTimer(string taskId, string leaseId) =>
        Timers.StartSingleTimer(LeaseTimerKey(taskId), new LeaseExpired(taskId, leaseId), _settings.LeaseDuration);

    private static string LeaseTimerKey(string taskId) => "lease:" + taskId;

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

    /// <summary>
    /// A snapshot at <paramref name="saved"/> is durable: the journal keeps only what recovery can need. That is the
    /// snapshot before it and the events after that one, so that a newest snapshot that cannot be read still recovers
    /// (the snapshot store falls back to the one before). The events up to that snapshot are deleted, then (once that
    /// is done) the snapshots older than it. Each step is one atomic write, and every state between them (snapshot
    /// saved, events trimmed, snapshots trimmed, next events written) recovers to the same queue.
    /// </summary>
    private void TrimBehind(long saved)
    {
        var previous = _snapshotSequenceNr;
        _snapshotSequenceNr = Math.Max(previous, saved);
        if (previous > 0 && previous < saved) DeleteMessages(previous);
    }

    private void LogTransition(IPersistedEvent e)
    {
        switch (e)
        {
            case TaskEnqueued t:
                _log.Info("Task {0} queued: {1} (priority {2}, {3})", t.TaskId, t.RepoUrl, t.Priority.ToName(),
                    t.NeverStale ? "never stale" : $"expires {t.SubmittedAt.AddSeconds(t.TtlSeconds):O}");
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
        // The store failed the write, or refused it because another queue wrote first (two singletons for a moment
        // during a partition): tell everyone waiting now (503) rather than let them time out. Unless the breaker
        // refused the write before it was sent, it may have landed (its answer lost or late), so the batch's clients
        // hear that their task may have been taken; the commands not yet decided were never written. The actor then
        // stops, and its backoff supervisor restarts it, replaying whatever the journal did take.
        FailEveryoneWaiting(mayHaveBeenWritten: cause is not Akka.Pattern.OpenCircuitException);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        // The journal refused the batch (it could not serialize it) and nothing of it was written, but the state
        // already holds it: stop, so that the supervisor rebuilds the state from the journal.
        FailEveryoneWaiting(mayHaveBeenWritten: false);
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self);
    }

    private void FailEveryoneWaiting(bool mayHaveBeenWritten)
    {
        foreach (var answer in _writing?.Answers ?? [])
            if (answer.IfNotWritten is not null)
                answer.To.Tell(mayHaveBeenWritten ? QueueDecider<IActorRef>.Unconfirmed(answer.IfNotWritten) : answer.IfNotWritten);
        _writing = null;
        foreach (var (command, sender) in _waiting)
            if (QueueDecider<IActorRef>.ReplyIfUndecided(command) is { } reply) sender.Tell(reply);
        _waiting.Clear();
    }
}

/// <summary>The queue is down, waiting to recover from a durable store that does not answer; nothing was accepted.</summary>
public sealed class QueueUnavailableException()
    : Exception("The durable store is unavailable and the queue is waiting to recover; nothing was accepted.");
