using Pharos.Messages.Status;

namespace Pharos.Messages.Commands;

// The pull protocol between an edge WorkerActor and the QueueActor singleton (reached through its proxy, so the
// queue learns the worker's reference as the sender and no message needs to carry one):
//   worker → queue: RegisterWorker, RequestWork, ReportProgress, ReportFailed, ReportSkipped
// (A task is completed by its result: see ResultCommands.)
//   queue → worker: WorkerRegistered, WorkAvailable, NoWorkAvailable, TaskAssigned, StopTask
// Nothing is sent on a timer: an idle worker waits for WorkAvailable, and a busy one reports as it makes progress.

/// <summary>
/// Worker → queue, when the worker starts and whenever the queue it registered with is gone. Names the lease the
/// worker is still running under, if any: every other lease the queue holds for this worker id is void (the worker
/// restarted and lost that work), and its task goes back to the queue. <paramref name="Challenge"/>: a random value of
/// the worker's that the queue echoes in <see cref="WorkerRegistered"/>, so that the worker can tell the queue's answer
/// from a registration answer forged by another member (a worker's id is public).
/// </summary>
[Manifest("register-worker.v1")]
public sealed record RegisterWorker(string WorkerId, string Address, string? RunningTaskId = null, string? RunningLeaseId = null,
    string? Challenge = null) : IPharosMessage;

/// <summary>
/// Queue → worker, with the registration's <paramref name="Challenge"/>. The worker watches the sender, so that it
/// registers again when the singleton moves, and takes assignments and stops from that sender alone.
/// </summary>
[Manifest("worker-registered.v1")]
public sealed record WorkerRegistered(string WorkerId, string? Challenge = null) : IPharosMessage;

/// <summary>Queue → every idle worker: a task is pending. The worker answers with <see cref="RequestWork"/>.</summary>
[Manifest("work-available.v1")]
public sealed record WorkAvailable : IPharosMessage
{
    public static readonly WorkAvailable Instance = new();
}

/// <summary>Worker → queue: this worker is idle and takes one task.</summary>
[Manifest("request-work.v1")]
public sealed record RequestWork(string WorkerId) : IPharosMessage;

/// <summary>Queue → worker: nothing is pending; the worker hears <see cref="WorkAvailable"/> when that changes.</summary>
[Manifest("no-work-available.v1")]
public sealed record NoWorkAvailable : IPharosMessage
{
    public static readonly NoWorkAvailable Instance = new();
}

/// <summary>
/// What a worker needs to run a task. <see cref="SubmittedAt"/> is null for a legacy task (a bare URL, as the
/// original queue held): such a task has no age and is never stale. <see cref="PrivateRepos"/>: the worker clones it
/// with the edge's git credentials; without it, anonymously. <see cref="Ref"/>: the branch, tag or commit to clone
/// (null: the remote's default branch).
/// </summary>
[Manifest("work-task.v1")]
public sealed record WorkTask(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    DateTimeOffset? SubmittedAt,
    int TtlSeconds,
    int Attempt,
    bool PrivateRepos = false,
    string? Ref = null) : IPharosMessage
{
    /// <summary>Age at <paramref name="now"/>; null for a legacy task.</summary>
    public TimeSpan? AgeAt(DateTimeOffset now) => SubmittedAt is { } submitted ? now - submitted : null;

    /// <summary>Older than its TTL at <paramref name="now"/>: to be skipped, never cloned.</summary>
    public bool IsStaleAt(DateTimeOffset now) => AgeAt(now) is { } age && age > TimeSpan.FromSeconds(TtlSeconds);
}

/// <summary>What every worker → queue report of a running task carries: the task, and the lease it runs under.</summary>
public interface IWorkerReport : IPharosMessage
{
    string TaskId { get; }
    string LeaseId { get; }
}

/// <summary>Queue → worker: the task is the worker's under <see cref="LeaseId"/> until it reports an end.</summary>
[Manifest("task-assigned.v1")]
public sealed record TaskAssigned(WorkTask Task, string LeaseId) : IPharosMessage;

/// <summary>
/// Worker → queue while it runs a task; renews the lease. Sent on every stage change and at most every few
/// seconds in between. <see cref="Progress"/> is 0..1 within <see cref="Stage"/>.
/// </summary>
[Manifest("report-progress.v1")]
public sealed record ReportProgress(string TaskId, string LeaseId, JobStage Stage, double Progress, string Message) : IWorkerReport;

/// <summary>
/// What a completed run measured, as its stored result says; becomes part of the job record. Events written before
/// results were stored in the cloud carry <paramref name="EmbeddingsPath"/> (where the edge kept them) and no
/// <paramref name="Dims"/>; since then it is the other way round.
/// </summary>
[Manifest("task-metrics.v1")]
public sealed record TaskMetrics(
    string CommitSha,
    int FilesProcessed,
    int Edges,
    int EmbeddingsGenerated,
    double FinalLoss,
    StageSeconds StageSeconds,
    string? EmbeddingsPath = null,
    int? Dims = null) : IPharosMessage;

/// <summary>The task cannot be done.</summary>
[Manifest("report-failed.v1")]
public sealed record ReportFailed(string TaskId, string LeaseId, JobReason Reason, string Error) : IWorkerReport;

/// <summary>The worker found the task stale before cloning it.</summary>
[Manifest("report-skipped.v1")]
public sealed record ReportSkipped(string TaskId, string LeaseId, double AgeSeconds, int TtlSeconds) : IWorkerReport;

/// <summary>
/// Queue → worker: stop the task and discard its work. Sent when a user cancels it, and in answer to a report
/// under a lease that is no longer the task's (it expired, or the task went to another worker).
/// </summary>
[Manifest("stop-task.v1")]
public sealed record StopTask(string TaskId, string LeaseId, LeaseEndReason Reason) : IPharosMessage;
