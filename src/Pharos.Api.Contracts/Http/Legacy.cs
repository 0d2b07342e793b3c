namespace Pharos.Api.Contracts.Http;

// The bodies of the original Python Pharos's routes (/api/v1/ingestion/...), field for field, for its clients.

/// <summary>`GET /api/v1/ingestion/jobs/history`: finished jobs, newest first.</summary>
public sealed record LegacyJobHistoryDto(IReadOnlyList<LegacyJobRecordDto> Jobs);

/// <summary>
/// One finished job as the original recorded it. <paramref name="Timestamp"/> is when it was submitted and
/// <paramref name="AgeSeconds"/> how long ago that was, as the original computed them; <paramref name="TaskId"/> is
/// Pharos's own, added (the original's clients ignore fields they do not know).
/// </summary>
public sealed record LegacyJobRecordDto(
    string RepoUrl,
    JobStatus Status,
    double? DurationSeconds,
    int? FilesProcessed,
    int? EmbeddingsGenerated,
    DateTimeOffset Timestamp,
    string? Error,
    JobReason? Reason,
    double? AgeSeconds,
    string TaskId);
