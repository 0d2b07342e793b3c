namespace Pharos.Messages;

/// <summary>The job states of the contract. Strings, because they are what the API and the journal show.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
    public const string Cancelled = "cancelled";
    /// <summary>Appears only in a job's timeline: the task went back to the queue.</summary>
    public const string Requeued = "requeued";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string> { Queued, Running, Completed, Failed, Skipped, Cancelled };

    public static bool IsFinal(string status) => status is Completed or Failed or Skipped or Cancelled;
}

/// <summary>Reasons recorded with skipped or failed jobs.</summary>
public static class JobReasons
{
    public const string TtlExpired = "ttl_expired";
    public const string CancelledByUser = "cancelled_by_user";
    /// <summary>The workers holding the task were lost on every allowed attempt.</summary>
    public const string WorkerLost = "worker_lost";
    /// <summary>The repository could not be cloned (not found, refused, too large, timed out).</summary>
    public const string CloneFailed = "clone_failed";
    /// <summary>Parsing, training or storing the embeddings failed.</summary>
    public const string TrainingFailed = "training_failed";
    /// <summary>The lease ran out while the worker was silent; its task went to another worker.</summary>
    public const string LeaseExpired = "lease_expired";
}

/// <summary>The stages of a running job, in order.</summary>
public static class JobStages
{
    public const string Cloning = "cloning";
    public const string Parsing = "parsing";
    public const string Training = "training";
    public const string Storing = "storing";
}
