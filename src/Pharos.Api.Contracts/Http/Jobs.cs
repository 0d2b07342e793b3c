namespace Pharos.Api.Contracts.Http;

// The HTTP API's bodies. Plain records, no Akka: the cloud maps its actors' state into them, the pharos CLI reads
// them. Written with PharosJson (snake_case names, nulls written, ISO 8601 times); a field's name or type is part
// of the API, whatever the journal or the snapshots hold.

/// <summary>
/// `GET /jobs/{id}`, `DELETE /jobs/{id}` and each element of `GET /jobs`. Fields a worker fills stay null until it
/// reports them. <see cref="Ref"/> is the branch, tag or commit asked for (null: the remote's default branch) and
/// <see cref="CommitSha"/> what it resolved to; <see cref="JobId"/> is the job's number, the original Pharos's
/// <c>job_id</c>, by which `GET /jobs/{id}` finds it too. A task imported without a submission time (the original
/// Pharos's bare URL) never expires: <see cref="ExpiresAt"/> is null and <see cref="Ttl"/> 0.
/// </summary>
public sealed record JobDto(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    JobStatus Status,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? ExpiresAt,
    int Ttl,
    string RequestedBy,
    IReadOnlyList<TimelineEntryDto> Timeline,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    double? DurationSeconds = null,
    StageSecondsDto? StageSeconds = null,
    string? CommitSha = null,
    int? FilesProcessed = null,
    int? Edges = null,
    int? EmbeddingsGenerated = null,
    double? FinalLoss = null,
    string? Worker = null,
    int Attempts = 0,
    string? Error = null,
    JobReason? Reason = null,
    double? AgeSeconds = null,
    JobStage? Stage = null,
    JobResultDto? Result = null,
    long? JobId = null,
    string? Ref = null);

/// <summary>One transition in a job's life.</summary>
public sealed record TimelineEntryDto(JobStatus Status, DateTimeOffset At, string? Detail = null);

/// <summary>Seconds spent per stage of a run. A class, not a record: records may not have a member named Clone.</summary>
public sealed class StageSecondsDto
{
    public double? Clone { get; init; }
    public double? Parse { get; init; }
    public double? Train { get; init; }
    public double? Store { get; init; }
}

/// <summary>`GET /jobs`: newest first.</summary>
public sealed record JobListDto(IReadOnlyList<JobDto> Jobs);

/// <summary>The 202 answer to `POST /ingest`; <see cref="JobId"/> is the job's number (see <see cref="JobDto"/>).</summary>
public sealed record IngestAcceptedDto(
    string TaskId,
    JobStatus Status,
    string RepoUrl,
    Priority Priority,
    int Position,
    int QueueSize,
    int MaxQueueSize,
    DateTimeOffset SubmittedAt,
    DateTimeOffset ExpiresAt,
    long JobId,
    string? Ref = null);

/// <summary>
/// The answer to `POST /admin/import`: the job as recorded (202: queued, with its original submission time and
/// expiry; 200: already <c>skipped</c>, <c>ttl_expired</c>, as the original's worker would have recorded it), its
/// position in the queue (0 when skipped) and the queue's size and cap.
/// </summary>
public sealed record ImportedJobDto(JobDto Job, int Position, int QueueSize, int MaxQueueSize);

/// <summary>
/// What the CLI reads of a problem+json refusal (RFC 9457, as ASP.NET Core writes it); <see cref="TaskId"/> names
/// the task a 409 refers to.
/// </summary>
public sealed record ProblemDto(string? Title, string? Detail, int? Status, string? TaskId);
