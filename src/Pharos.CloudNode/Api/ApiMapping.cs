using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Api;

/// <summary>
/// From the actors' state to the HTTP API's bodies: the one place where a journal or snapshot shape meets the API,
/// so that either can change without the other.
/// </summary>
public static class ApiMapping
{
    /// <summary>A never-stale job (imported without a submission time) shows no expiry and a TTL of 0.</summary>
    public static JobDto ToDto(this JobRecord job) => new(
        job.TaskId, job.RepoUrl, job.Priority, job.Status, job.SubmittedAt, job.NeverStale ? null : job.ExpiresAt,
        job.NeverStale ? 0 : job.Ttl, job.RequestedBy,
        [.. job.Timeline.Select(t => new TimelineEntryDto(t.Status, t.At, t.Detail))],
        job.StartedAt, job.FinishedAt, job.DurationSeconds,
        job.StageSeconds is { } s ? new StageSecondsDto { Clone = s.Clone, Parse = s.Parse, Train = s.Train, Store = s.Store } : null,
        job.CommitSha, job.FilesProcessed, job.Edges, job.EmbeddingsGenerated, job.FinalLoss, job.Worker, job.Attempts,
        job.Error, job.Reason, job.AgeSeconds, job.Stage, ResultOf(job), job.JobNumber, job.Ref);

    /// <summary>Where a completed job's result is read; null for a job without one (or completed before results came home).</summary>
    private static JobResultDto? ResultOf(JobRecord job)
    {
        return job is { Status: JobStatus.Completed, CommitSha: { } commit, FilesProcessed: { } files, Dims: { } dims }
            ? new JobResultDto(commit, files, dims, Link(RepoRoutes.Embeddings), Link(RepoRoutes.Graph), Link(RepoRoutes.Similar), job.Ref)
            : null;

        // That job's own result: its commit at its ref, or at the default branch (the same commit may be stored under
        // another ref too, from another task).
        string Link(string route) => RepoRoutes.For(route, job.RepoUrl, job.CommitSha, job.Ref, defaultBranch: job.Ref is null);
    }

    public static JobListDto ToDto(this IEnumerable<JobRecord> jobs) => new([.. jobs.Select(ToDto)]);

    /// <summary>Finished jobs in the original Pharos's history shape; ages as of <paramref name="now"/>.</summary>
    public static LegacyJobHistoryDto ToLegacyDto(this IEnumerable<JobRecord> jobs, DateTimeOffset now) => new([.. jobs.Select(job =>
        new LegacyJobRecordDto(job.RepoUrl, job.Status, job.DurationSeconds, job.FilesProcessed, job.EmbeddingsGenerated,
            LegacyJobRecordDto.IsoTimestamp(job.SubmittedAt), job.Error, job.Reason, Math.Round((now - job.SubmittedAt).TotalSeconds, 3),
            job.TaskId))]);

    public static IngestAcceptedDto ToDto(this IngestAccepted accepted) => new(accepted.TaskId, JobStatus.Queued,
        accepted.RepoUrl, accepted.Priority, accepted.Position, accepted.QueueSize, accepted.MaxQueueSize,
        accepted.SubmittedAt, accepted.ExpiresAt, accepted.JobNumber, accepted.Ref);

    /// <summary>The original Pharos's answer to its ingest route, with its message.</summary>
    public static LegacyIngestResponseDto ToLegacyDto(this IngestAccepted accepted) => new(LegacyIngestResponseDto.Dispatched,
        accepted.JobNumber, accepted.Position, LegacyIngestResponseDto.EdgeWorker, accepted.QueueSize, accepted.MaxQueueSize,
        $"Task queued successfully. Position: {accepted.Position}/{accepted.MaxQueueSize}", accepted.TaskId, accepted.RepoUrl,
        accepted.Priority, accepted.Ref);

    public static ImportedJobDto ToDto(this ImportAccepted imported) =>
        new(imported.Job.ToDto(), imported.Position, imported.QueueSize, imported.MaxQueueSize);

    public static WorkerStatusDto ToDto(this WorkerStatusView view) => new(view.Status,
        [.. view.Workers.Select(ToDto)], new QueueCountsDto(view.Queue.Pending, view.Queue.InFlight, view.Queue.Max));

    /// <summary>A worker's last report; when it was made is when the worker was last seen.</summary>
    public static WorkerDto ToDto(this WorkerStatusChanged worker) => new(worker.WorkerId, worker.Address, worker.State,
        worker.TaskId, worker.RepoUrl, worker.Stage, worker.Progress, worker.Message, worker.Since, worker.At);
}
