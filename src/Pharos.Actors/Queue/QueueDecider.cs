using Akka.Event;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Status;

namespace Pharos.Actors.Queue;

/// <summary>
/// The queue's rules: what each command comes to, given the state and the worker registry. <see cref="Decide"/> is
/// pure: it reads both, changes neither, and says in one <see cref="Decision{TRef}"/> what is to be persisted,
/// answered, told and changed. <see cref="DecideBatch"/> decides a group commit the way QueueActor runs it.
/// </summary>
/// <remarks>
/// Admission: a repository is active once (an expired queued task does not count) and the cap counts live pending
/// tasks only; expired tasks are swept before a task is added or leased. Dispatch is pulled: a lease goes to a
/// known worker that asks and holds none, for the first live pending task in dispatch order. A lease whose worker is
/// lost requeues its task, or fails it once it has had its attempts.
/// </remarks>
/// <param name="urls">The URL rules without DNS, checked again on every task (null: the caller checked them).</param>
public sealed class QueueDecider<TRef>(QueueSettings settings, Func<string>? newTaskId = null, Func<string>? newLeaseId = null,
    Ingest.RepoUrlSyntax? urls = null)
    where TRef : notnull
{
    /// <summary>What a client hears when the durable store does not take its task, and nothing of it was written.</summary>
    public static readonly IngestRefused StoreUnavailable = new(IngestRefusal.StoreUnavailable,
        "The durable store did not take the task; nothing was accepted.", RetryAfterSeconds: 5);

    /// <summary>
    /// What a client hears when the store failed the write of its task after it was sent: the write may have landed
    /// (Redis took it and the answer was lost, or came too late). A partition test found a task a client had been
    /// told was not accepted; the retry this asks for answers 409 with the task's id if it was.
    /// </summary>
    public static readonly IngestRefused StoreUnconfirmed = new(IngestRefusal.StoreUnavailable,
        "The durable store did not confirm the task; it may have been taken. Retry: if it was, the retry answers 409 " +
        "with its id.", RetryAfterSeconds: 5);

    /// <summary>The answer for a client whose write failed after it was sent: an ingest refusal says it may have landed.</summary>
    public static object Unconfirmed(object ifNotWritten) =>
        ifNotWritten is IngestRefused { Reason: IngestRefusal.StoreUnavailable } ? StoreUnconfirmed : ifNotWritten;

    // Version 7 ids sort by creation time, which keeps ids readable in logs and journals.
    private readonly Func<string> _newTaskId = newTaskId ?? (() => Guid.CreateVersion7().ToString("N"));
    private readonly Func<string> _newLeaseId = newLeaseId ?? (() => Guid.NewGuid().ToString("N"));

    /// <summary>
    /// Decides commands in arrival order, as one group commit: each against the state with the events of those
    /// before it applied (this applies them to <paramref name="state"/>), and against the registry as the effects
    /// of those before it leave it (a draft: <paramref name="workers"/> itself changes only when the batch is
    /// committed, once it is durable).
    /// </summary>
    public QueueBatch<TRef> DecideBatch(QueueState state, WorkerRegistry<TRef> workers, IEnumerable<Received<TRef>> commands,
        DateTimeOffset now)
    {
        var draft = workers.Draft();
        var (events, answers, effects, notes) = (new List<IPersistedEvent>(), new List<Answer<TRef>>(),
            new List<DispatchEffect<TRef>>(), new List<LogNote>());
        foreach (var command in commands)
        {
            var decision = Decide(state, draft, command, now);
            foreach (var e in decision.Events) state.Apply(e);
            foreach (var effect in decision.Effects) draft.Apply(effect);
            events.AddRange(decision.Events);
            effects.AddRange(decision.Effects);
            if (decision.Log is { } note) notes.Add(note);
            if (decision.Reply is { } reply) answers.Add(new Answer<TRef>(command.From, reply(state), decision.ReplyIfNotWritten));
            answers.AddRange(decision.Notices.Select(n => new Answer<TRef>(n.To, n.Message, null)));
        }
        return new QueueBatch<TRef>(events, answers, effects, notes);
    }

    public Decision<TRef> Decide(QueueState state, WorkerRegistry<TRef> workers, Received<TRef> command, DateTimeOffset now) =>
        command.Message switch
        {
            EnqueueTask enqueue => Enqueue(state, enqueue, now),
            CancelJob cancel => Cancel(state, workers, cancel, now),
            SweepExpired => new Decision<TRef> { Events = state.Sweep(now) },
            RegisterWorker registration => Register(state, workers, registration, command.From, now),
            RequestWork => Lease(state, workers, command.From, now),
            IWorkerReport report => Report(state, report, command.From, now),
            MayDeliver ask => new Decision<TRef> { Reply = _ => Verdict(state, ask.TaskId, ask.LeaseId) },
            RecordResult result => Record(state, result, now),
            LeaseExpired expired => Expire(state, workers, expired, now),
            WorkerGone<TRef> gone => Lose(state, workers, LeasesHeldBy(state, workers, gone.Worker), LeaseEndReason.WorkerTerminated, now),
            _ => throw new ArgumentException($"The queue cannot decide {command.Message.GetType().Name}.", nameof(command)),
        };

    private static List<LeaseRecord> LeasesHeldBy(QueueState state, WorkerRegistry<TRef> workers, TRef worker) =>
        workers.LeasesOf(worker).Select(id => state.Leases.FirstOrDefault(l => l.LeaseId == id)).OfType<LeaseRecord>().ToList();

    /// <summary>What the sender of a command not yet decided hears when the write before it fails; null: nothing.</summary>
    public static object? ReplyIfUndecided(object command) => command switch
    {
        EnqueueTask => StoreUnavailable,
        CancelJob => new CancelJobResult(CancelOutcome.StoreUnavailable, null),
        RequestWork => NoWorkAvailable.Instance,
        _ => null,
    };

    /// <summary>
    /// How far ahead of the queue's clock an imported submission time may be (the original's clock and this one's
    /// differ a little); further ahead it is refused, since it would lengthen the task's life.
    /// </summary>
    public static readonly TimeSpan ImportClockTolerance = TimeSpan.FromMinutes(5);

    /// <summary>A task's timing as the queue records it: stamped now with the queue's TTL, or the original's, imported.</summary>
    private readonly record struct Timing(DateTimeOffset SubmittedAt, int TtlSeconds, bool NeverStale, bool Stale);

    private Timing TimingOf(EnqueueTask command, DateTimeOffset now) => command.Imported switch
    {
        null => new Timing(now, settings.TaskTtlSeconds, false, false),
        // The original's legacy form has no age: it entered this queue now, and no TTL applies to it.
        { SubmittedAt: null } => new Timing(now, settings.TaskTtlSeconds, true, false),
        { SubmittedAt: { } submitted, TtlSeconds: var ttl } => new Timing(submitted, ttl ?? settings.TaskTtlSeconds, false,
            QueueState.HasExpired(submitted.AddSeconds(ttl ?? settings.TaskTtlSeconds), now)),
    };

    private Decision<TRef> Enqueue(QueueState state, EnqueueTask command, DateTimeOffset now)
    {
        var timing = TimingOf(command, now);
        if (Refusal(state, command, timing, now) is { } refusal)
            return new Decision<TRef>
            {
                Reply = _ => refusal,
                ReplyIfNotWritten = StoreUnavailable,
                Log = new LogNote(LogLevel.InfoLevel, "Refused {0}: {1}", [command.RepoUrl, refusal.Reason]),
            };
        var taskId = _newTaskId();
        var enqueued = new TaskEnqueued(taskId, command.RepoUrl, command.Priority, timing.SubmittedAt, timing.TtlSeconds,
            command.RequestedBy, command.PrivateRepos, command.Ref, state.NextJobNumber, timing.NeverStale);
        // An import that was stale on arrival is recorded as the original's worker would have recorded it: skipped,
        // with its age, in the same write as its arrival, so it is never pending between two decisions.
        IPersistedEvent[] arrival = timing.Stale
            ? [enqueued, new TaskSkipped(taskId, now, JobReason.TtlExpired, Math.Round((now - timing.SubmittedAt).TotalSeconds, 3), timing.TtlSeconds)]
            : [enqueued];
        return new Decision<TRef>
        {
            Events = [.. state.Sweep(now), .. arrival],
            Reply = after =>
            {
                var job = after.Find(taskId)!;
                return command.Imported is null
                    ? new IngestAccepted(job.TaskId, job.RepoUrl, job.Priority, after.PositionOf(job.TaskId),
                        after.PendingCount, after.MaxQueueSize, job.SubmittedAt, job.ExpiresAt, job.JobNumber!.Value, job.Ref)
                    : new ImportAccepted(job, after.PositionOf(job.TaskId), after.PendingCount, after.MaxQueueSize);
            },
            ReplyIfNotWritten = StoreUnavailable,
        };
    }

    /// <summary>
    /// Why the task cannot be admitted, or null: a URL outside the rules, an imported submission time ahead of the
    /// queue's clock, a duplicate, a full queue, then the submitter's share of the cap used up. Expired tasks neither
    /// count towards the cap or a share nor block a resubmission. An import that is stale on arrival is only recorded
    /// (as skipped): it needs no room, and a queued or running task of its repository stays the repository's task.
    /// </summary>
    private IngestRefused? Refusal(QueueState state, EnqueueTask command, Timing timing, DateTimeOffset now)
    {
        // The gateway checked the URL; a task that reached the queue another way (a member that is not a gateway)
        // meets the same rules here, in the normal form the gateway would have sent.
        if (urls?.Check(command.RepoUrl).Outcome is { } check && (!check.Ok || check.NormalizedUrl != command.RepoUrl))
            return new IngestRefused(IngestRefusal.InvalidRequest,
                $"{command.RepoUrl} is not a repository URL this queue takes: {check.Error ?? $"its normal form is {check.NormalizedUrl}"}.");
        if (command.Ref is { } gitRef && Ingest.GitRefSyntax.Problem(gitRef) is { } refProblem)
            return new IngestRefused(IngestRefusal.InvalidRequest, refProblem);
        if (command.Imported?.SubmittedAt is { } submitted && submitted > now + ImportClockTolerance)
            return new IngestRefused(IngestRefusal.InvalidRequest,
                $"submitted_at {submitted:O} is later than the queue's clock ({now:O}) by more than " +
                $"{ImportClockTolerance.TotalMinutes:0} minutes.");
        if (timing.Stale) return null;
        if (state.ActiveJob(command.RepoUrl, command.Ref) is { } existing
            && (existing.Status != JobStatus.Queued || !QueueState.IsExpired(existing, now)))
            return new IngestRefused(IngestRefusal.Duplicate,
                $"{command.RepoUrl}{(command.Ref is { } at ? $" at {at}" : "")} is already {existing.Status.ToName()} as task {existing.TaskId}.",
                existing.TaskId);
        if (state.LiveCount(now) >= state.MaxQueueSize)
            return new IngestRefused(IngestRefusal.QueueFull,
                $"The queue holds its maximum of {state.MaxQueueSize} tasks; try again later.",
                RetryAfterSeconds: state.Depth().RetryAfterSeconds(now));
        if (command.MaxQueued is { } share && state.LiveCountOf(command.RequestedBy, now) is var queued && queued >= share)
            return new IngestRefused(IngestRefusal.MaxQueued,
                $"The token '{command.RequestedBy}' has {queued} tasks queued, its share of the queue (max_queued {share} of " +
                $"{state.MaxQueueSize}); wait until one starts or cancel one.");
        return null;
    }

    private static Decision<TRef> Cancel(QueueState state, WorkerRegistry<TRef> workers, CancelJob command, DateTimeOffset now)
    {
        // By task id or job number; everything after speaks of the task id.
        var job = state.FindByIdOrNumber(command.TaskId);
        var taskId = job?.TaskId ?? command.TaskId;
        var outcome = job switch
        {
            null => CancelOutcome.NotFound,
            // Ownership before state: a job of another token is not the caller's to cancel, whatever state it is in.
            _ when !command.AnyJob && !QueueState.IsSubmittedBy(job, command.By) => CancelOutcome.NotOwner,
            { IsFinal: true } => CancelOutcome.AlreadyFinished,
            _ => CancelOutcome.Cancelled,
        };
        var answer = new Decision<TRef>
        {
            // Another token's job is not shown to a caller who may not cancel it.
            Reply = after => new CancelJobResult(outcome, outcome == CancelOutcome.NotOwner ? null : after.Find(taskId)),
            ReplyIfNotWritten = new CancelJobResult(CancelOutcome.StoreUnavailable, job),
        };
        if (outcome != CancelOutcome.Cancelled) return answer;
        // A running task's worker is told to stop once the cancellation is durable.
        var revoked = state.LeaseOf(taskId) is { } running ? Revoke(workers, running, LeaseEndReason.Cancelled) : None;
        return answer with
        {
            Events = [new TaskCancelled(taskId, now, command.By)],
            Notices = revoked.Notices,
            Effects = revoked.Effects,
        };
    }

    /// <summary>
    /// A (re)registration: every lease the queue holds for this worker id, except the one it says it still runs
    /// under, is void (the worker restarted and lost that work); the one it runs under is bound to it again.
    /// </summary>
    private static Decision<TRef> Register(QueueState state, WorkerRegistry<TRef> workers, RegisterWorker registration,
        TRef worker, DateTimeOffset now)
    {
        List<DispatchEffect<TRef>> resumed = [];
        List<Notice<TRef>> stopped = [];
        if (registration is { RunningTaskId: { } taskId, RunningLeaseId: { } leaseId })
        {
            if (state.CurrentLease(taskId, leaseId) is not null) resumed.Add(new LeaseResumed<TRef>(worker, taskId, leaseId));
            else stopped.Add(new Notice<TRef>(worker, new StopTask(taskId, leaseId, LeaseEndReason.LeaseExpired)));
        }
        var orphaned = state.Leases
            .Where(l => l.WorkerId == registration.WorkerId && l.LeaseId != registration.RunningLeaseId).ToList();
        var lost = Lose(state, workers, orphaned, LeaseEndReason.WorkerRestarted, now);
        // Running nothing (or nothing that is still its own), it waits for work.
        List<DispatchEffect<TRef>> idle = registration.RunningLeaseId is null || stopped.Count > 0 ? [new WorkerIdle<TRef>(worker)] : [];
        return lost with { Notices = [.. lost.Notices, .. stopped], Effects = [.. resumed, .. lost.Effects, .. idle] };
    }

    /// <summary>A worker asks for work: sweeps of expired tasks, then a lease on the first live pending task in dispatch order.</summary>
    private Decision<TRef> Lease(QueueState state, WorkerRegistry<TRef> workers, TRef worker, DateTimeOffset now)
    {
        // Known when the request arrived; gone since only if it terminated, and then it asks no more.
        if (workers.Find(worker) is not { } entry) return None;
        if (workers.HoldsALease(worker))
            return None with
            {
                Log = new LogNote(LogLevel.WarningLevel, "Worker {0} asked for work while holding a lease; ignored", [entry.Id]),
            };
        var swept = state.Sweep(now);
        if (state.Pending.FirstOrDefault(job => !QueueState.IsExpired(job, now)) is not { } next)
            return new Decision<TRef>
            {
                Events = swept,
                Reply = _ => NoWorkAvailable.Instance,
                ReplyIfNotWritten = NoWorkAvailable.Instance,
                Effects = [new WorkerWaiting<TRef>(worker)],
            };
        var leased = new TaskLeased(next.TaskId, _newLeaseId(), entry.Id, entry.Address, now, next.Attempts + 1);
        return new Decision<TRef>
        {
            Events = [.. swept, leased],
            Reply = after =>
            {
                var job = after.Find(leased.TaskId)!;
                // A never-stale task goes without its submission time: the worker's sign of a task with no age.
                return new TaskAssigned(new WorkTask(job.TaskId, job.RepoUrl, job.Priority, job.NeverStale ? null : job.SubmittedAt,
                    job.Ttl, leased.Attempt, job.PrivateRepos, job.Ref),
                    leased.LeaseId);
            },
            ReplyIfNotWritten = NoWorkAvailable.Instance,
            Effects = [new LeaseGranted<TRef>(worker, leased.TaskId, leased.LeaseId)],
        };
    }

    /// <summary>
    /// A worker's report renews or ends its lease. Only a stage later than the current one is persisted: progress within
    /// a stage, or a report of an earlier stage, is not, so a job's timeline holds each stage at most once an attempt
    /// (<see cref="QueueState.MaxTimelineEntries"/>). A report under a lease that is no longer the task's changes
    /// nothing, and its worker is told to discard the work.
    /// </summary>
    private static Decision<TRef> Report(QueueState state, IWorkerReport report, TRef worker, DateTimeOffset now)
    {
        var (taskId, leaseId) = (report.TaskId, report.LeaseId);
        if (state.CurrentLease(taskId, leaseId) is null)
            // The work is someone else's now (or nobody's).
            return new Decision<TRef>
            {
                Notices = [new Notice<TRef>(worker, new StopTask(taskId, leaseId, LeaseEndReason.LeaseExpired))],
                Log = new LogNote(LogLevel.InfoLevel, "Ignored a {0} of task {1} under stale lease {2}",
                    [report.GetType().Name, taskId, leaseId]),
            };
        IPersistedEvent? @event = report switch
        {
            ReportProgress r when state.Find(taskId)!.Stage is not { } stage || r.Stage > stage => new TaskProgressed(taskId, leaseId, now, r.Stage),
            ReportProgress => null,
            ReportFailed r => new TaskFailed(taskId, leaseId, now, r.Reason, r.Error),
            ReportSkipped r => new TaskSkipped(taskId, now, JobReason.TtlExpired, r.AgeSeconds, r.TtlSeconds),
            _ => throw new ArgumentException($"The queue cannot decide a {report.GetType().Name}.", nameof(report)),
        };
        return new Decision<TRef>
        {
            Events = @event is null ? [] : [@event],
            Effects = [report is ReportProgress ? new LeaseRenewed<TRef>(taskId, leaseId) : new LeaseEnded<TRef>(taskId, leaseId)],
        };
    }

    private static DeliveryVerdict Verdict(QueueState state, string taskId, string leaseId)
    {
        var outcome = state.Delivery(taskId, leaseId);
        var detail = outcome switch
        {
            DeliveryOutcome.Wanted => "the result completes the task",
            DeliveryOutcome.AlreadyCompleted => "the task is completed already",
            _ => state.Find(taskId) is { } job
                ? $"lease {leaseId} was lost: the task is {job.Status.ToName()}" + (job.Worker is { } w ? $" on {w}" : "")
                : $"task {taskId} is not in the queue's history",
        };
        return new DeliveryVerdict(taskId, leaseId, outcome, detail, state.Find(taskId)?.CommitSha);
    }

    /// <summary>
    /// The cloud stored a task's result: the task is completed if the result is still wanted (see
    /// <see cref="QueueState.Delivery"/>), whether it runs under that lease or waits in the queue after losing it.
    /// The answer goes out once the completion is durable, and only then does the edge forget the result.
    /// </summary>
    private static Decision<TRef> Record(QueueState state, RecordResult result, DateTimeOffset now)
    {
        var verdict = Verdict(state, result.TaskId, result.LeaseId);
        if (verdict.Outcome != DeliveryOutcome.Wanted)
            return new Decision<TRef>
            {
                Reply = _ => verdict,
                Log = verdict.Outcome == DeliveryOutcome.LeaseLost
                    ? new LogNote(LogLevel.InfoLevel, "Dropped the result of task {0}: {1}", [result.TaskId, verdict.Detail])
                    : null,
            };
        var running = state.CurrentLease(result.TaskId, result.LeaseId) is not null;
        return new Decision<TRef>
        {
            Events = [new TaskCompleted(result.TaskId, result.LeaseId, now, result.Metrics)],
            Reply = after => verdict with { CommitSha = after.Find(result.TaskId)?.CommitSha },
            Effects = running ? [new LeaseEnded<TRef>(result.TaskId, result.LeaseId)] : [],
        };
    }

    private Decision<TRef> Expire(QueueState state, WorkerRegistry<TRef> workers, LeaseExpired expired, DateTimeOffset now)
    {
        if (state.CurrentLease(expired.TaskId, expired.LeaseId) is not { } lapsed) return None;
        return Lose(state, workers, [lapsed], LeaseEndReason.LeaseExpired, now) with
        {
            Log = new LogNote(LogLevel.WarningLevel, "Lease {0} of task {1} expired: its worker was silent for {2}",
                [lapsed.LeaseId, lapsed.TaskId, settings.LeaseDuration]),
        };
    }

    /// <summary>
    /// The leases' workers are lost (<paramref name="reason"/> says how): each task goes back to the queue, or fails
    /// with <c>worker_lost</c> once it has had its attempts.
    /// </summary>
    private static Decision<TRef> Lose(QueueState state, WorkerRegistry<TRef> workers, IReadOnlyList<LeaseRecord> leases,
        LeaseEndReason reason, DateTimeOffset now)
    {
        var revoked = leases.Select(lease => Revoke(workers, lease, reason)).ToList();
        return new Decision<TRef>
        {
            Events = leases.Select(lease => lease.Attempt >= state.MaxAttempts
                ? (IPersistedEvent)new TaskFailed(lease.TaskId, lease.LeaseId, now, JobReason.WorkerLost,
                    $"the worker was lost on each of {lease.Attempt} attempts (last: {reason.ToName()})")
                : new TaskRequeued(lease.TaskId, lease.LeaseId, now, reason)).ToList(),
            Notices = [.. revoked.SelectMany(r => r.Notices)],
            Effects = [.. revoked.SelectMany(r => r.Effects)],
        };
    }

    /// <summary>Takes a lease away; its holder, if one is known, is told to stop.</summary>
    private static Decision<TRef> Revoke(WorkerRegistry<TRef> workers, LeaseRecord lease, LeaseEndReason reason) => new()
    {
        Notices = workers.TryGetHolder(lease.LeaseId, out var holder)
            ? [new Notice<TRef>(holder, new StopTask(lease.TaskId, lease.LeaseId, reason))]
            : [],
        Effects = [new LeaseRevoked<TRef>(lease.TaskId, lease.LeaseId)],
    };

    private static Decision<TRef> None => Decision<TRef>.None;
}

/// <summary>The queue's periodic tick: tasks that outlived their TTL are skipped.</summary>
public sealed class SweepExpired
{
    public static readonly SweepExpired Instance = new();
}

/// <summary>A lease's timer ran out: its worker was silent for the lease duration.</summary>
public sealed record LeaseExpired(string TaskId, string LeaseId);

/// <summary>A worker the queue watched is gone (terminated, or removed from the cluster).</summary>
public sealed record WorkerGone<TRef>(TRef Worker);
