using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Status;

namespace Pharos.Actors.Queue;

/// <summary>
/// The queue's durable state: every job, the pending ones in dispatch order, the leases of the running ones. Changed
/// by events only (<see cref="Apply"/>, in recovery and at run time alike); the rules that make the events are
/// <see cref="QueueDecider{TRef}"/>'s. No actor in sight, so that properties can be stated over it directly. The
/// questions admission asks (active task of a repository, live count, position) and sweeping cost O(1) or
/// O(expired) however long the queue is.
/// </summary>
public sealed class QueueState(int maxQueueSize, int historySize, int maxAttempts)
{
    private static readonly Priority[] DispatchOrder = [Priority.High, Priority.Normal, Priority.Low];

    private readonly Dictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);
    // Pending task ids per priority, FIFO; the nodes let a cancel or a sweep remove one in O(1).
    private readonly Dictionary<Priority, LinkedList<string>> _pending = DispatchOrder.ToDictionary(p => p, _ => new LinkedList<string>());
    private readonly Dictionary<string, LinkedListNode<string>> _pendingNodes = new(StringComparer.Ordinal);
    // Pending tasks by expiry, soonest first: the live count and the sweep look only at the expired end.
    private readonly SortedSet<(DateTimeOffset ExpiresAt, string TaskId)> _byExpiry = new();
    // Finished jobs, oldest first; trimmed to historySize.
    private readonly LinkedList<string> _finished = new();
    // The queued or running task of each repository and ref (see ActiveKey).
    private readonly Dictionary<string, string> _activeByRepo = new(StringComparer.Ordinal);
    // Jobs by number (the original Pharos's job_id), for the jobs held.
    private readonly Dictionary<long, string> _byNumber = new();
    private long _nextJobNumber = 1;
    // Pending tasks per submitter, for each token's share of the cap; rebuilt from events and snapshots like the rest.
    private readonly Dictionary<string, int> _pendingBySubmitter = new(Submitters);
    // The lease of every running task, in the order they were granted.
    private readonly Dictionary<string, LeaseRecord> _leases = new(StringComparer.Ordinal);
    // The leases a pending task lost (its worker went silent or away): a result delivered under one of them later,
    // from an edge's outbox, still completes the task, as long as no other worker has taken it since.
    private readonly Dictionary<string, List<LeaseRecord>> _lapsed = new(StringComparer.Ordinal);

    /// <summary>
    /// The most entries a job's timeline holds: queued, then for each of at most <paramref name="maxAttempts"/> attempts
    /// its lease and each stage once (the decider persists only a later stage), a requeue between attempts, and the end.
    /// </summary>
    public static int MaxTimelineEntries(int maxAttempts) => 1 + maxAttempts * (1 + StageCount) + (maxAttempts - 1) + 1;

    private static readonly int StageCount = Enum.GetValues<JobStage>().Length;

    public int MaxQueueSize { get; } = maxQueueSize;
    public int HistorySize { get; } = historySize;
    public int MaxAttempts { get; } = maxAttempts;
    public int PendingCount => _pendingNodes.Count;
    public int InFlightCount => _leases.Count;
    public IEnumerable<LeaseRecord> Leases => _leases.Values;
    /// <summary>Every job held, pending and finished: the size of a snapshot.</summary>
    public int JobCount => _jobs.Count;
    /// <summary>The number the next enqueued job gets: one more than any job had, so never one a job had before.</summary>
    public long NextJobNumber => _nextJobNumber;

    /// <summary>Pending jobs in dispatch order: higher priority first, FIFO within one priority.</summary>
    public IEnumerable<JobRecord> Pending => DispatchOrder.SelectMany(p => _pending[p]).Select(id => _jobs[id]);

    /// <summary>Whether the job outlived its TTL; a never-stale job (imported without a submission time) never does.</summary>
    public static bool IsExpired(JobRecord job, DateTimeOffset now) => !job.NeverStale && HasExpired(job.ExpiresAt, now);

    /// <summary>The one comparison of a time with an expiry: a task is stale once now is past it.</summary>
    public static bool HasExpired(DateTimeOffset expiresAt, DateTimeOffset now) => now > expiresAt;

    /// <summary>
    /// How submitters (<see cref="JobRecord.RequestedBy"/>, the name of the token that submitted the job) compare:
    /// ignoring case, as token names are unique ignoring case.
    /// </summary>
    public static readonly StringComparer Submitters = StringComparer.OrdinalIgnoreCase;

    /// <summary>Whether the token named <paramref name="name"/> submitted the job (a job without a submitter is nobody's).</summary>
    public static bool IsSubmittedBy(JobRecord job, string name) =>
        job.RequestedBy is { Length: > 0 } submitter && Submitters.Equals(submitter, name);

    /// <summary>Pending tasks that have not outlived their TTL: the only ones that count towards the cap.</summary>
    public int LiveCount(DateTimeOffset now) => PendingCount - _byExpiry.TakeWhile(e => HasExpired(e.ExpiresAt, now)).Count();

    /// <summary>The live pending tasks <paramref name="submitter"/> submitted: what its share of the cap counts.</summary>
    public int LiveCountOf(string submitter, DateTimeOffset now) =>
        _pendingBySubmitter.GetValueOrDefault(submitter)
        - _byExpiry.TakeWhile(e => HasExpired(e.ExpiresAt, now)).Count(e => IsSubmittedBy(_jobs[e.TaskId], submitter));

    /// <summary>One <see cref="TaskSkipped"/> for every pending task older than its TTL, soonest expiry first.</summary>
    public IReadOnlyList<TaskSkipped> Sweep(DateTimeOffset now) =>
        _byExpiry.TakeWhile(e => HasExpired(e.ExpiresAt, now))
            .Select(e => _jobs[e.TaskId])
            .Select(job => new TaskSkipped(job.TaskId, now, JobReason.TtlExpired,
                Math.Round((now - job.SubmittedAt).TotalSeconds, 3), job.Ttl))
            .ToList();

    /// <summary>
    /// The queued or running task of <paramref name="repoUrl"/> at <paramref name="gitRef"/> (null: the default branch),
    /// if it has one (an expired queued task included). Tasks of one repository at different refs are not duplicates.
    /// </summary>
    public JobRecord? ActiveJob(string repoUrl, string? gitRef = null) =>
        _activeByRepo.TryGetValue(ActiveKey(repoUrl, gitRef), out var taskId) ? _jobs[taskId] : null;

    // A newline never appears in a normalised URL or a ref.
    private static string ActiveKey(string repoUrl, string? gitRef) => gitRef is null ? repoUrl : repoUrl + "\n" + gitRef;

    private static string ActiveKey(JobRecord job) => ActiveKey(job.RepoUrl, job.Ref);

    /// <summary>The lease the task runs under, when <paramref name="leaseId"/> is still it.</summary>
    public LeaseRecord? CurrentLease(string taskId, string leaseId) =>
        _leases.TryGetValue(taskId, out var lease) && lease.LeaseId == leaseId ? lease : null;

    public LeaseRecord? LeaseOf(string taskId) => _leases.GetValueOrDefault(taskId);

    /// <summary>
    /// Whether a result delivered under <paramref name="leaseId"/> is wanted: the task runs under that lease, or
    /// waits in the queue after losing it. A completed task needs nothing more; any other (leased to another worker
    /// since, or ended) drops it.
    /// </summary>
    public DeliveryOutcome Delivery(string taskId, string leaseId) => Find(taskId) switch
    {
        { Status: JobStatus.Completed } => DeliveryOutcome.AlreadyCompleted,
        { Status: JobStatus.Running } when CurrentLease(taskId, leaseId) is not null => DeliveryOutcome.Wanted,
        { Status: JobStatus.Queued } when LapsedLease(taskId, leaseId) is not null => DeliveryOutcome.Wanted,
        _ => DeliveryOutcome.LeaseLost,
    };

    private LeaseRecord? LapsedLease(string taskId, string leaseId) =>
        _lapsed.GetValueOrDefault(taskId)?.FirstOrDefault(l => l.LeaseId == leaseId);

    public void Apply(IPersistedEvent @event)
    {
        switch (@event)
        {
            case TaskEnqueued e:
                var job = new JobRecord(e.TaskId, e.RepoUrl, e.Priority, JobStatus.Queued, e.SubmittedAt,
                    e.SubmittedAt.AddSeconds(e.TtlSeconds), e.TtlSeconds, e.RequestedBy,
                    [new TimelineEntry(JobStatus.Queued, e.SubmittedAt, $"priority {e.Priority.ToName()}" + (e.NeverStale ? ", never stale" : ""))],
                    PrivateRepos: e.PrivateRepos, Ref: e.Ref, JobNumber: e.JobNumber ?? _nextJobNumber, NeverStale: e.NeverStale);
                _jobs[job.TaskId] = job;
                Number(job);
                AddPending(job);
                break;
            case TaskSkipped e:
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Skipped,
                    Reason = e.Reason,
                    AgeSeconds = e.AgeSeconds,
                    Timeline =
                    [
                        .. job.Timeline,
                        new TimelineEntry(JobStatus.Skipped, e.At, $"{e.Reason.ToName()}: age {e.AgeSeconds:0}s > ttl {e.TtlSeconds}s"),
                    ],
                });
                break;
            case TaskCancelled e:
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Cancelled,
                    Reason = JobReason.CancelledByUser,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Cancelled, e.At, $"by {e.By}")],
                });
                break;
            case TaskLeased e:
                Lease(e);
                break;
            case TaskProgressed e:
                Update(e.TaskId, job => job with
                {
                    Stage = e.Stage,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Running, e.At, e.Stage.ToName())],
                });
                break;
            case TaskCompleted e:
                // Completed from the queue by a result delivered under a lease it had lost: that lease's worker ran it.
                var by = LapsedLease(e.TaskId, e.LeaseId)?.WorkerId;
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Completed,
                    Worker = job.Worker ?? by,
                    Stage = null,
                    StageSeconds = e.Metrics.StageSeconds,
                    CommitSha = e.Metrics.CommitSha,
                    FilesProcessed = e.Metrics.FilesProcessed,
                    Edges = e.Metrics.Edges,
                    EmbeddingsGenerated = e.Metrics.EmbeddingsGenerated,
                    FinalLoss = e.Metrics.FinalLoss,
                    EmbeddingsPath = e.Metrics.EmbeddingsPath,
                    Dims = e.Metrics.Dims,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Completed, e.At, $"commit {e.Metrics.CommitSha}")],
                });
                break;
            case TaskFailed e:
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Failed,
                    Stage = null,
                    Reason = e.Reason,
                    Error = e.Error,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Failed, e.At, $"{e.Reason.ToName()}: {e.Error}")],
                });
                break;
            case TaskRequeued e:
                Requeue(e);
                break;
            default:
                throw new ArgumentException($"QueueState cannot apply {@event.GetType().Name}.", nameof(@event));
        }
    }

    /// <summary>1-based position in dispatch order; 0 when the task is not pending.</summary>
    public int PositionOf(string taskId)
    {
        if (!_pendingNodes.TryGetValue(taskId, out var node)) return 0;
        var priority = _jobs[taskId].Priority;
        var ahead = DispatchOrder.TakeWhile(p => p != priority).Sum(p => _pending[p].Count);
        // The newest task of its priority, the usual question, is answered without a walk.
        if (node == _pending[priority].Last) return ahead + _pending[priority].Count;
        for (var walk = _pending[priority].First; walk != node; walk = walk!.Next) ahead++;
        return ahead + 1;
    }

    public JobRecord? Find(string taskId) => _jobs.GetValueOrDefault(taskId);

    /// <summary>A job by its task id or, when <paramref name="id"/> is a number, by its job number.</summary>
    public JobRecord? FindByIdOrNumber(string id) =>
        Find(id) ?? (id.Length <= 18 && long.TryParse(id, System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var number) && _byNumber.TryGetValue(number, out var taskId)
            ? _jobs[taskId]
            : null);

    /// <summary>Newest submission first, optionally one status only.</summary>
    public IReadOnlyList<JobRecord> Jobs(int limit, JobStatus? status, bool finishedOnly = false) =>
        _jobs.Values
            .Where(job => (status is null || job.Status == status) && (!finishedOnly || job.Status.IsFinal()))
            .OrderByDescending(job => job.SubmittedAt).ThenByDescending(job => job.TaskId, StringComparer.Ordinal)
            .Take(limit)
            .ToList();

    public QueueDepthChanged Depth() =>
        new(PendingCount, InFlightCount, MaxQueueSize, _byExpiry.Count == 0 ? null : _byExpiry.Min.ExpiresAt);

    /// <summary>
    /// Pending jobs in dispatch order, running ones in lease order, then finished ones oldest first, with the
    /// running jobs' leases: enough to rebuild every order.
    /// </summary>
    public QueueSnapshot ToSnapshot() =>
        new([.. Pending, .. _leases.Keys.Select(id => _jobs[id]), .. _finished.Select(id => _jobs[id])], [.. _leases.Values],
            [.. _lapsed.Values.SelectMany(l => l)], _nextJobNumber);

    public void Restore(QueueSnapshot snapshot)
    {
        _jobs.Clear(); _pendingNodes.Clear(); _byExpiry.Clear(); _finished.Clear(); _activeByRepo.Clear(); _leases.Clear();
        _lapsed.Clear(); _pendingBySubmitter.Clear(); _byNumber.Clear();
        _nextJobNumber = 1;
        foreach (var list in _pending.Values) list.Clear();
        var leases = (snapshot.Leases ?? []).ToDictionary(l => l.TaskId, StringComparer.Ordinal);
        foreach (var held in snapshot.Jobs)
        {
            // A snapshot from before jobs were numbered: its jobs are numbered in its order, the same at every recovery.
            var job = held.JobNumber is null ? held with { JobNumber = _nextJobNumber } : held;
            _jobs[job.TaskId] = job;
            Number(job);
            if (job.IsFinal) _finished.AddLast(job.TaskId);
            else if (job.Status == JobStatus.Running && leases.TryGetValue(job.TaskId, out var lease))
            {
                _leases[job.TaskId] = lease;
                _activeByRepo[ActiveKey(job)] = job.TaskId;
            }
            else AddPending(job);
        }
        foreach (var lapsed in snapshot.Lapsed ?? [])
            if (Find(lapsed.TaskId) is { IsFinal: false }) Lapse(lapsed);
        _nextJobNumber = Math.Max(_nextJobNumber, snapshot.NextJobNumber ?? 1);
    }

    private void Number(JobRecord job)
    {
        var number = job.JobNumber!.Value;
        _byNumber[number] = job.TaskId;
        _nextJobNumber = Math.Max(_nextJobNumber, number + 1);
    }

    private void Lapse(LeaseRecord lease)
    {
        if (!_lapsed.TryGetValue(lease.TaskId, out var list)) _lapsed[lease.TaskId] = list = [];
        list.Add(lease);
    }

    private void AddPending(JobRecord job, bool first = false)
    {
        var list = _pending[job.Priority];
        _pendingNodes[job.TaskId] = first ? list.AddFirst(job.TaskId) : list.AddLast(job.TaskId);
        // A never-stale task has no expiry: no sweep, no live count and no published oldest expiry looks at it.
        if (!job.NeverStale) _byExpiry.Add((job.ExpiresAt, job.TaskId));
        // The repository's active job stays the one it has: only an import that was stale on arrival (and is skipped
        // in the same decision) is added beside it, and must not take its place.
        _activeByRepo.TryAdd(ActiveKey(job), job.TaskId);
        var submitter = job.RequestedBy ?? "";
        _pendingBySubmitter[submitter] = _pendingBySubmitter.GetValueOrDefault(submitter) + 1;
    }

    private void RemovePending(JobRecord job)
    {
        if (!_pendingNodes.Remove(job.TaskId, out var node)) return;
        _pending[job.Priority].Remove(node);
        _byExpiry.Remove((job.ExpiresAt, job.TaskId));
        var submitter = job.RequestedBy ?? "";
        if (_pendingBySubmitter[submitter] == 1) _pendingBySubmitter.Remove(submitter);
        else _pendingBySubmitter[submitter]--;
    }

    private void Update(string taskId, Func<JobRecord, JobRecord> update)
    {
        if (_jobs.TryGetValue(taskId, out var job) && !job.IsFinal) _jobs[taskId] = update(job);
    }

    private void Lease(TaskLeased e)
    {
        if (!_jobs.TryGetValue(e.TaskId, out var job) || job.IsFinal) return;
        RemovePending(job);
        _leases[e.TaskId] = new LeaseRecord(e.TaskId, e.LeaseId, e.WorkerId, e.WorkerAddress, e.Attempt);
        _jobs[e.TaskId] = job with
        {
            Status = JobStatus.Running,
            StartedAt = job.StartedAt ?? e.At,
            Attempts = e.Attempt,
            Worker = e.WorkerId,
            Stage = null,
            Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Running, e.At, $"attempt {e.Attempt} on {e.WorkerId}")],
        };
    }

    private void Requeue(TaskRequeued e)
    {
        if (!_jobs.TryGetValue(e.TaskId, out var job) || job.IsFinal || !_leases.Remove(e.TaskId, out var lost)) return;
        Lapse(lost);
        var requeued = job with
        {
            Status = JobStatus.Queued,
            Stage = null,
            Worker = null,
            Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Requeued, e.At, e.Reason.ToName())],
        };
        _jobs[e.TaskId] = requeued;
        // It waited its turn once already: it goes first among its priority.
        AddPending(requeued, first: true);
    }

    private void Finish(string taskId, DateTimeOffset at, Func<JobRecord, JobRecord> update)
    {
        if (!_jobs.TryGetValue(taskId, out var job) || job.IsFinal) return;
        var finished = update(job) with
        {
            FinishedAt = at,
            DurationSeconds = job.StartedAt is { } started ? Math.Round((at - started).TotalSeconds, 3) : null,
        };
        _jobs[taskId] = finished;
        RemovePending(job);
        _leases.Remove(taskId);
        _lapsed.Remove(taskId);
        if (_activeByRepo.GetValueOrDefault(ActiveKey(job)) == taskId) _activeByRepo.Remove(ActiveKey(job));
        _finished.AddLast(taskId);
        while (_finished.Count > HistorySize)
        {
            if (_jobs.Remove(_finished.First!.Value, out var dropped)) _byNumber.Remove(dropped.JobNumber!.Value);
            _finished.RemoveFirst();
        }
    }
}
