using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Status;

namespace Pharos.Actors.Queue;

/// <summary>
/// The queue's state and its rules, with no actor in sight so that properties can be stated over it directly.
/// QueueActor decides with it, persists the events it returns, and applies them here: the state changes only
/// through <see cref="Apply"/>, in recovery and at run time alike.
/// </summary>
public sealed class QueueState(int maxQueueSize, int historySize)
{
    private readonly Dictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);
    // Dispatch order: higher priority first, FIFO within one priority.
    private readonly List<string> _pending = [];
    // Finished jobs, oldest first; trimmed to historySize.
    private readonly LinkedList<string> _finished = new();
    private readonly Dictionary<string, string> _activeByRepo = new(StringComparer.Ordinal);

    public int MaxQueueSize { get; } = maxQueueSize;
    public int HistorySize { get; } = historySize;
    public int PendingCount => _pending.Count;
    public IEnumerable<JobRecord> Pending => _pending.Select(id => _jobs[id]);

    public static bool IsExpired(JobRecord job, DateTimeOffset now) => now > job.ExpiresAt;

    /// <summary>Pending tasks that have not outlived their TTL: the only ones that count towards the cap.</summary>
    public int LiveCount(DateTimeOffset now) => Pending.Count(job => !IsExpired(job, now));

    /// <summary>One <see cref="TaskSkipped"/> for every pending task older than its TTL, in dispatch order.</summary>
    public IReadOnlyList<TaskSkipped> Sweep(DateTimeOffset now) =>
        Pending.Where(job => IsExpired(job, now))
            .Select(job => new TaskSkipped(job.TaskId, now, JobReasons.TtlExpired,
                Math.Round((now - job.SubmittedAt).TotalSeconds, 3), job.Ttl))
            .ToList();

    /// <summary>
    /// Decides an enqueue: the events to persist (sweeps of expired tasks first, then the new task) or the refusal.
    /// Expired tasks neither count towards the cap nor block a resubmission of their repository.
    /// </summary>
    public EnqueueDecision DecideEnqueue(EnqueueTask command, string taskId, DateTimeOffset now, int ttlSeconds)
    {
        if (_activeByRepo.TryGetValue(command.RepoUrl, out var existingId))
        {
            var existing = _jobs[existingId];
            if (existing.Status != JobStatus.Queued || !IsExpired(existing, now))
                return EnqueueDecision.Refuse(new IngestRefused(IngestRefusal.Duplicate,
                    $"{command.RepoUrl} is already {existing.Status} as task {existing.TaskId}.", existing.TaskId));
        }

        if (LiveCount(now) >= MaxQueueSize)
            return EnqueueDecision.Refuse(new IngestRefused(IngestRefusal.QueueFull,
                $"The queue holds its maximum of {MaxQueueSize} tasks; try again later.",
                RetryAfterSeconds: Depth().RetryAfterSeconds(now)));

        var events = new List<IPersistedEvent>(Sweep(now))
        {
            new TaskEnqueued(taskId, command.RepoUrl, command.Priority, now, ttlSeconds, command.RequestedBy),
        };
        return EnqueueDecision.Accept(events);
    }

    public CancelDecision DecideCancel(CancelJob command, DateTimeOffset now)
    {
        if (!_jobs.TryGetValue(command.TaskId, out var job)) return new CancelDecision(CancelOutcome.NotFound, null, null);
        if (job.IsFinal) return new CancelDecision(CancelOutcome.AlreadyFinished, job, null);
        return new CancelDecision(CancelOutcome.Cancelled, job, new TaskCancelled(job.TaskId, now, command.By));
    }

    public void Apply(IPersistedEvent @event)
    {
        switch (@event)
        {
            case TaskEnqueued e:
                var job = new JobRecord(e.TaskId, e.RepoUrl, e.Priority, JobStatus.Queued, e.SubmittedAt,
                    e.SubmittedAt.AddSeconds(e.TtlSeconds), e.TtlSeconds, e.RequestedBy,
                    [new TimelineEntry(JobStatus.Queued, e.SubmittedAt, $"priority {e.Priority.ToName()}")]);
                _jobs[job.TaskId] = job;
                _activeByRepo[job.RepoUrl] = job.TaskId;
                InsertPending(job);
                break;
            case TaskSkipped e:
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Skipped, Reason = e.Reason, AgeSeconds = e.AgeSeconds,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Skipped, e.At, $"{e.Reason}: age {e.AgeSeconds:0}s > ttl {e.TtlSeconds}s")],
                });
                break;
            case TaskCancelled e:
                Finish(e.TaskId, e.At, job => job with
                {
                    Status = JobStatus.Cancelled, Reason = JobReasons.CancelledByUser,
                    Timeline = [.. job.Timeline, new TimelineEntry(JobStatus.Cancelled, e.At, $"by {e.By}")],
                });
                break;
            default:
                throw new ArgumentException($"QueueState cannot apply {@event.GetType().Name}.", nameof(@event));
        }
    }

    /// <summary>1-based position in dispatch order; 0 when the task is not pending.</summary>
    public int PositionOf(string taskId) => _pending.IndexOf(taskId) + 1;

    public JobRecord? Find(string taskId) => _jobs.GetValueOrDefault(taskId);

    /// <summary>Newest submission first, optionally one status only.</summary>
    public IReadOnlyList<JobRecord> Jobs(int limit, string? status) =>
        _jobs.Values
            .Where(job => status is null || job.Status == status)
            .OrderByDescending(job => job.SubmittedAt).ThenByDescending(job => job.TaskId, StringComparer.Ordinal)
            .Take(limit)
            .ToList();

    public QueueDepthChanged Depth() =>
        new(Pending.Select(job => job.ExpiresAt).ToList(), InFlight: 0, MaxQueueSize);

    /// <summary>Pending jobs in dispatch order, then finished ones oldest first: enough to rebuild every order.</summary>
    public QueueSnapshot ToSnapshot() =>
        new([.. _pending.Select(id => _jobs[id]), .. _finished.Select(id => _jobs[id])]);

    /// <summary>An independent copy, for deciding a batch of commands ahead of their write.</summary>
    public QueueState Copy()
    {
        var copy = new QueueState(MaxQueueSize, HistorySize);
        copy.Restore(ToSnapshot());
        return copy;
    }

    public void Restore(QueueSnapshot snapshot)
    {
        _jobs.Clear(); _pending.Clear(); _finished.Clear(); _activeByRepo.Clear();
        foreach (var job in snapshot.Jobs)
        {
            _jobs[job.TaskId] = job;
            if (job.IsFinal) _finished.AddLast(job.TaskId);
            else
            {
                _pending.Add(job.TaskId);
                _activeByRepo[job.RepoUrl] = job.TaskId;
            }
        }
    }

    private void InsertPending(JobRecord job)
    {
        // After every task of the same or a higher priority: FIFO within a priority.
        var index = _pending.FindLastIndex(id => _jobs[id].Priority >= job.Priority) + 1;
        _pending.Insert(index, job.TaskId);
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
        _pending.Remove(taskId);
        if (_activeByRepo.GetValueOrDefault(job.RepoUrl) == taskId) _activeByRepo.Remove(job.RepoUrl);
        _finished.AddLast(taskId);
        while (_finished.Count > HistorySize)
        {
            _jobs.Remove(_finished.First!.Value);
            _finished.RemoveFirst();
        }
    }
}

public sealed record EnqueueDecision(IngestRefused? Refusal, IReadOnlyList<IPersistedEvent> Events)
{
    public static EnqueueDecision Refuse(IngestRefused refusal) => new(refusal, []);
    public static EnqueueDecision Accept(IReadOnlyList<IPersistedEvent> events) => new(null, events);
}

public sealed record CancelDecision(CancelOutcome Outcome, JobRecord? Job, TaskCancelled? Event);
