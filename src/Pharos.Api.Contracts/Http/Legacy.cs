namespace Pharos.Api.Contracts.Http;

// The bodies of the original Python Pharos's routes (/api/v1/ingestion/...), field for field, for its clients.

/// <summary>
/// `POST /api/v1/ingestion/ingest/{repo_url}`: the original's <c>IngestionResponse</c>. <paramref name="Status"/> is
/// always <see cref="Dispatched"/>, <paramref name="Target"/> always <see cref="EdgeWorker"/>; <paramref name="JobId"/>
/// is the job's number (`GET /jobs/{job_id}` finds it), <paramref name="QueuePosition"/> its place in dispatch order.
/// <paramref name="TaskId"/>, <paramref name="RepoUrl"/> (the normal form), <paramref name="Priority"/> and
/// <paramref name="Ref"/> are Pharos's own, added.
/// </summary>
public sealed record LegacyIngestResponseDto(
    string Status,
    long JobId,
    int QueuePosition,
    string Target,
    int QueueSize,
    int MaxQueueSize,
    string Message,
    string TaskId,
    string RepoUrl,
    Priority Priority,
    string? Ref)
{
    public const string Dispatched = "dispatched";
    public const string EdgeWorker = "Edge-Worker";
}

/// <summary>`GET /api/v1/ingestion/jobs/history`: finished jobs, newest first.</summary>
public sealed record LegacyJobHistoryDto(IReadOnlyList<LegacyJobRecordDto> Jobs);

/// <summary>
/// One finished job as the original recorded it. <paramref name="Timestamp"/> is when it was submitted (written as
/// Python's <c>isoformat()</c> writes, six fractional digits, with the offset added: see <see cref="IsoTimestamp"/>) and
/// <paramref name="AgeSeconds"/> how long ago that was, as the original computed them; <paramref name="TaskId"/> is
/// Pharos's own, added (the original's clients ignore fields they do not know).
/// </summary>
public sealed record LegacyJobRecordDto(
    string RepoUrl,
    JobStatus Status,
    double? DurationSeconds,
    int? FilesProcessed,
    int? EmbeddingsGenerated,
    string Timestamp,
    string? Error,
    JobReason? Reason,
    double? AgeSeconds,
    string TaskId)
{
    /// <summary>
    /// A time as the original's records held it: Python's <c>datetime.isoformat()</c> (microseconds), with the offset,
    /// which every Python 3's <c>datetime.fromisoformat</c> reads (.NET's round-trip form has seven digits, which
    /// Python before 3.11 does not).
    /// </summary>
    public static string IsoTimestamp(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
}
