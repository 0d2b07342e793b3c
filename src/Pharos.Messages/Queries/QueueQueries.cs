using Pharos.Messages.Status;

namespace Pharos.Messages.Queries;

/// <summary>
/// Newest first; <see cref="Status"/> filters on a job state when set, <see cref="FinishedOnly"/> keeps the jobs that
/// have ended (completed, failed, skipped, cancelled).
/// </summary>
[Manifest("get-jobs.v1")]
public sealed record GetJobs(int Limit, JobStatus? Status = null, bool FinishedOnly = false) : IPharosMessage;

[Manifest("jobs-page.v1")]
public sealed record JobsPage(IReadOnlyList<JobRecord> Jobs) : IPharosMessage;

/// <summary>One job, by <paramref name="TaskId"/>: its task id, or its job number (the original Pharos's job_id).</summary>
[Manifest("get-job.v1")]
public sealed record GetJob(string TaskId) : IPharosMessage;

/// <summary>The answer to <see cref="GetJob"/>; <see cref="Job"/> is null for an unknown id.</summary>
[Manifest("job-lookup.v1")]
public sealed record JobLookup(JobRecord? Job) : IPharosMessage;

/// <summary>Answered by QueueActor once it has recovered: what `/ready` asks to know the journal is reachable.</summary>
[Manifest("get-queue-status.v1")]
public sealed record GetQueueStatus : IPharosMessage
{
    public static readonly GetQueueStatus Instance = new();
}

/// <summary>Answered by QueueActor with its current <see cref="QueueDepthChanged"/>: for subscribers that joined late.</summary>
[Manifest("get-queue-depth.v1")]
public sealed record GetQueueDepth : IPharosMessage
{
    public static readonly GetQueueDepth Instance = new();
}
