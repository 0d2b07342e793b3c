namespace Pharos.Messages.Commands;

/// <summary>
/// IngestGateway → QueueActor: a request that passed every check the gateway can make. The queue is a cluster
/// singleton that may live on another cloud node, so this and its answers cross the wire. (The gateway's own input,
/// SubmitIngest, never leaves its node and lives beside the gateway in Pharos.Actors.)
/// <paramref name="RequestedBy"/>: the name of the caller's token, which the job keeps as its submitter.
/// <paramref name="PrivateRepos"/>: the caller's token was granted private repositories, so the edge may clone the
/// task with its git credentials. <paramref name="MaxQueued"/>: the token's share of the cap, the live pending tasks it
/// may have at once (null: the whole cap), which the queue checks against its own count of them.
/// <paramref name="Ref"/>: the branch, tag or commit to ingest (null: the remote's default branch).
/// <paramref name="Imported"/>: the task comes from the original Python Pharos's queue (`POST /admin/import`) and keeps
/// the timing it had there, rather than being stamped now with the queue's TTL (null: an ordinary submission).
/// </summary>
[Manifest("enqueue-task.v1")]
public sealed record EnqueueTask(string RepoUrl, Priority Priority, string RequestedBy, bool PrivateRepos = false,
    int? MaxQueued = null, string? Ref = null, ImportedTiming? Imported = null) : IPharosMessage;

/// <summary>
/// The timing a task had in the original Pharos's queue. <paramref name="SubmittedAt"/> null is the original's legacy
/// form (a bare URL): the task has no age and is never stale, and <paramref name="TtlSeconds"/> is then null too.
/// <paramref name="TtlSeconds"/> null with a submission time: the queue's own TTL.
/// </summary>
public sealed record ImportedTiming(DateTimeOffset? SubmittedAt, int? TtlSeconds);

/// <summary>The 202 answer; <see cref="JobNumber"/> is the original Pharos's <c>job_id</c> of the task.</summary>
[Manifest("ingest-accepted.v1")]
public sealed record IngestAccepted(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    int Position,
    int QueueSize,
    int MaxQueueSize,
    DateTimeOffset SubmittedAt,
    DateTimeOffset ExpiresAt,
    long JobNumber = 0,
    string? Ref = null) : IPharosMessage;

/// <summary>
/// The answer to an imported task (<see cref="EnqueueTask.Imported"/>): the job as recorded, queued with its original
/// timing, or already <c>skipped</c> (<c>ttl_expired</c>) when it was stale on arrival (<paramref name="Position"/> 0).
/// </summary>
[Manifest("import-accepted.v1")]
public sealed record ImportAccepted(Status.JobRecord Job, int Position, int QueueSize, int MaxQueueSize) : IPharosMessage;

public enum IngestRefusal
{
    /// <summary>401: no valid bearer token.</summary>
    Unauthenticated,
    /// <summary>403: the token lacks the scope.</summary>
    Forbidden,
    /// <summary>400: the body or URL is not acceptable.</summary>
    InvalidRequest,
    /// <summary>409: the same repository (at the same ref) is already queued or running.</summary>
    Duplicate,
    /// <summary>429: the queue holds its cap of live tasks.</summary>
    QueueFull,
    /// <summary>503: the durable store did not take the task (nothing was accepted), or did not confirm it (it may have been taken).</summary>
    StoreUnavailable,
    /// <summary>429: the caller's token has as many live tasks queued as its share of the cap (max_queued).</summary>
    MaxQueued,
}

/// <summary>Every refusal; <see cref="Detail"/> is safe to show the client (it never holds a token).</summary>
[Manifest("ingest-refused.v1")]
public sealed record IngestRefused(
    IngestRefusal Reason,
    string Detail,
    string? ExistingTaskId = null,
    int? RetryAfterSeconds = null) : IPharosMessage;

/// <summary>
/// Cancel a queued or running task. <paramref name="By"/>: the name of the caller's token; it may cancel the jobs it
/// submitted, and any job only with <paramref name="AnyJob"/> (its token holds the admin scope). <paramref name="TaskId"/>:
/// the task id, or the job number (the original Pharos's job_id).
/// </summary>
[Manifest("cancel-job.v1")]
public sealed record CancelJob(string TaskId, string By, bool AnyJob = false) : IPharosMessage;

public enum CancelOutcome
{
    Cancelled,
    NotFound,
    AlreadyFinished,
    StoreUnavailable,
    /// <summary>Another token submitted the job, and the caller may cancel only its own.</summary>
    NotOwner,
}

[Manifest("cancel-job-result.v1")]
public sealed record CancelJobResult(CancelOutcome Outcome, Status.JobRecord? Job) : IPharosMessage;
