using System.Text.Json.Serialization;

namespace Pharos.Api.Contracts;

// The words Pharos writes in its journal, on the wire and in the HTTP API. Each is written as its snake_case
// name ("cancelled_by_user"). The journal holds these strings: never rename or remove a member, only add.

/// <summary>The state of a job.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<JobStatus>))]
public enum JobStatus
{
    Queued,
    Running,
    Completed,
    Failed,
    Skipped,
    Cancelled,
    /// <summary>Appears only in a job's timeline: the task went back to the queue.</summary>
    Requeued,
}

public static class JobStatuses
{
    /// <summary>
    /// The states a job can be in (what `GET /jobs?status=` filters on): every status but <see cref="JobStatus.Requeued"/>.
    /// </summary>
    public static IReadOnlyList<JobStatus> States { get; } = [.. Enum.GetValues<JobStatus>().Where(s => s != JobStatus.Requeued)];

    public static bool IsFinal(this JobStatus status) =>
        status is JobStatus.Completed or JobStatus.Failed or JobStatus.Skipped or JobStatus.Cancelled;
}

/// <summary>The stages of a running job, in order.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<JobStage>))]
public enum JobStage
{
    Cloning,
    Parsing,
    Training,
    Storing,
    /// <summary>The edge sends the stored result to the cloud; the job completes once the cloud has it.</summary>
    Uploading,
}

/// <summary>Why a job ended skipped, failed or cancelled: recorded on the job.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<JobReason>))]
public enum JobReason
{
    /// <summary>The task outlived its TTL before a worker cloned it.</summary>
    TtlExpired,
    CancelledByUser,
    /// <summary>The workers holding the task were lost on every allowed attempt.</summary>
    WorkerLost,
    /// <summary>The repository could not be cloned (not found, refused, too large, timed out).</summary>
    CloneFailed,
    /// <summary>Parsing, training or storing the embeddings failed.</summary>
    TrainingFailed,
    /// <summary>The result is larger than the cloud takes (PHAROS_MAX_RESULT_MB).</summary>
    ResultTooLarge,
    /// <summary>
    /// The job process of the clone or the analysis died (a crash, an overflowed stack): the repository makes it so,
    /// so no other edge tries it again.
    /// </summary>
    AnalysisCrashed,
    /// <summary>A job process used more memory than PHAROS_JOB_MEMORY_MB allows.</summary>
    MemoryLimit,
    /// <summary>The clone or the analysis took longer than its timeout.</summary>
    Timeout,
    /// <summary>The repository has more files or bytes than an edge takes (PHAROS_MAX_FILES, PHAROS_MAX_CHECKOUT_MB, ...).</summary>
    RepositoryTooLarge,
    /// <summary>The branch, tag or commit the task names does not exist in the repository.</summary>
    RefNotFound,
}

/// <summary>
/// Why a worker's lease on a task ended before the task did: the task goes back to the queue (a requeue) or the
/// worker is told to stop it. Never a job's outcome.
/// </summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<LeaseEndReason>))]
public enum LeaseEndReason
{
    /// <summary>The lease ran out while the worker was silent; its task went to another worker.</summary>
    LeaseExpired,
    /// <summary>The worker's node left the cluster or its actor stopped.</summary>
    WorkerTerminated,
    /// <summary>The worker registered again without the lease: it restarted and lost the work.</summary>
    WorkerRestarted,
    /// <summary>A user cancelled the task.</summary>
    Cancelled,
}

/// <summary>What a worker is doing, as it reports itself.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<WorkerState>))]
public enum WorkerState
{
    Idle,
    Busy,
    Error,
    Offline,
}

/// <summary>Writes and reads an enum as the snake_case name of its member, whatever options the caller uses.</summary>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(System.Text.Json.JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;

/// <summary>The snake_case names of the vocabulary's members, for text that is not JSON (log lines, labels, CLI options).</summary>
public static class WireNames
{
    public static string ToName<TEnum>(this TEnum value) where TEnum : struct, Enum => Cache<TEnum>.Names[value];

    /// <summary>Every member's name, in declaration order.</summary>
    public static IReadOnlyList<string> Of<TEnum>() where TEnum : struct, Enum => Cache<TEnum>.All;

    /// <summary>Exactly a member's name (case-sensitive, as the API and the journal write it).</summary>
    public static bool TryParse<TEnum>(string? name, out TEnum value) where TEnum : struct, Enum =>
        Cache<TEnum>.Values.TryGetValue(name ?? "", out value);

    private static class Cache<TEnum> where TEnum : struct, Enum
    {
        public static readonly Dictionary<TEnum, string> Names = Enum.GetValues<TEnum>()
            .ToDictionary(v => v, v => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()));
        public static readonly Dictionary<string, TEnum> Values = Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        public static readonly IReadOnlyList<string> All = [.. Enum.GetValues<TEnum>().Select(v => Names[v])];
    }
}
