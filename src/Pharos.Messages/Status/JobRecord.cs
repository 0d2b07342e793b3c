using System.Text.Json.Serialization;

namespace Pharos.Messages.Status;

/// <summary>One transition in a job's life, as `GET /jobs/{id}` shows it.</summary>
[Manifest("timeline-entry.v1")]
public sealed record TimelineEntry(JobStatus Status, DateTimeOffset At, string? Detail = null) : IPharosMessage;

/// <summary>Seconds spent per stage of a run. A class, not a record: records may not have a member named Clone.</summary>
public sealed class StageSeconds
{
    public double? Clone { get; init; }
    public double? Parse { get; init; }
    public double? Train { get; init; }
    public double? Store { get; init; }
}

/// <summary>
/// A job as snapshots store it (the API maps it to its own shape). Fields that the edge fills (metrics, worker) stay
/// null until a worker reports them; <see cref="Dims"/> is set once the cloud holds the job's result
/// (<see cref="EmbeddingsPath"/>, the edge's copy, only in jobs completed before results were stored in the cloud).
/// <see cref="PrivateRepos"/> is the submitter's grant to have the edge clone with its git credentials; written only
/// when true, so a snapshot without such jobs keeps the bytes it always had; so are <see cref="Ref"/> (the branch,
/// tag or commit asked for; null: the remote's default branch, and <see cref="CommitSha"/> is what it resolved to) and
/// <see cref="JobNumber"/> (the original Pharos's <c>job_id</c>), written only when set. <see cref="NeverStale"/> (written
/// only when true): a task imported without a submission time, which no TTL applies to (<see cref="ExpiresAt"/> and
/// <see cref="Ttl"/> are then not applied; the API shows no expiry).
/// </summary>
[Manifest("job-record.v1")]
public sealed record JobRecord(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    JobStatus Status,
    DateTimeOffset SubmittedAt,
    DateTimeOffset ExpiresAt,
    int Ttl,
    string RequestedBy,
    IReadOnlyList<TimelineEntry> Timeline,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    double? DurationSeconds = null,
    StageSeconds? StageSeconds = null,
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
    string? EmbeddingsPath = null,
    int? Dims = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool PrivateRepos = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ref = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? JobNumber = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool NeverStale = false) : IPharosMessage
{
    [JsonIgnore]
    public bool IsFinal => Status.IsFinal();
}

/// <summary>
/// QueueActor's snapshot: pending jobs in dispatch order, running ones, then finished ones oldest first, the lease of
/// every running job (absent from snapshots written before workers existed), and the leases pending jobs lost, under
/// which a result may still come (absent before results were delivered to the cloud), and the number the next job
/// gets (absent before jobs were numbered: the jobs of such a snapshot are numbered in its order).
/// </summary>
[Manifest("queue-snapshot.v1")]
public sealed record QueueSnapshot(IReadOnlyList<JobRecord> Jobs, IReadOnlyList<LeaseRecord>? Leases = null,
    IReadOnlyList<LeaseRecord>? Lapsed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? NextJobNumber = null) : IPharosMessage;

/// <summary>Who holds a running job, and under which lease.</summary>
[Manifest("lease-record.v1")]
public sealed record LeaseRecord(string TaskId, string LeaseId, string WorkerId, string WorkerAddress, int Attempt) : IPharosMessage;
