namespace Pharos.Messages.Commands;

/// <summary>
/// HTTP → IngestGateway. Carries the request as presented: the gateway authenticates, authorises, validates
/// and checks the cap, in that order, before anything reaches the queue.
/// </summary>
/// <param name="Authorization">The Authorization header exactly as received (null when absent).</param>
/// <param name="BodyError">Why the body could not be read, if it could not: reported only after authentication,
/// so that an unauthenticated caller learns nothing but 401.</param>
[Manifest("submit-ingest.v1")]
public sealed record SubmitIngest(
    string? RepoUrl,
    string? Priority,
    string? Authorization,
    string ClientIp,
    string Route,
    string? BodyError = null) : IPharosMessage;

/// <summary>IngestGateway → QueueActor: a request that passed every check the gateway can make.</summary>
[Manifest("enqueue-task.v1")]
public sealed record EnqueueTask(string RepoUrl, Priority Priority, string RequestedBy) : IPharosMessage;

/// <summary>The 202 answer.</summary>
[Manifest("ingest-accepted.v1")]
public sealed record IngestAccepted(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    int Position,
    int QueueSize,
    int MaxQueueSize,
    DateTimeOffset SubmittedAt,
    DateTimeOffset ExpiresAt) : IPharosMessage;

public enum IngestRefusal
{
    /// <summary>401: no valid bearer token.</summary>
    Unauthenticated,
    /// <summary>403: the token lacks the scope.</summary>
    Forbidden,
    /// <summary>400: the body or URL is not acceptable.</summary>
    InvalidRequest,
    /// <summary>409: the same repository is already queued or running.</summary>
    Duplicate,
    /// <summary>429: the queue holds its cap of live tasks.</summary>
    QueueFull,
    /// <summary>503: the durable store did not take the task; nothing was accepted.</summary>
    StoreUnavailable,
}

/// <summary>Every refusal; <see cref="Detail"/> is safe to show the client (it never holds a token).</summary>
[Manifest("ingest-refused.v1")]
public sealed record IngestRefused(
    IngestRefusal Reason,
    string Detail,
    string? ExistingTaskId = null,
    int? RetryAfterSeconds = null) : IPharosMessage;

/// <summary>Cancel a queued (and, once workers run, a running) task.</summary>
[Manifest("cancel-job.v1")]
public sealed record CancelJob(string TaskId, string By) : IPharosMessage;

public enum CancelOutcome { Cancelled, NotFound, AlreadyFinished, StoreUnavailable }

[Manifest("cancel-job-result.v1")]
public sealed record CancelJobResult(CancelOutcome Outcome, Status.JobRecord? Job) : IPharosMessage;
