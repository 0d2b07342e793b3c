using Pharos.Actors.Configuration;

namespace Pharos.Actors.Queue;

/// <summary>The queue's settings (the cloud's QueueActor), each read once from its row of <see cref="Table"/>.</summary>
public sealed record QueueSettings
{
    public static readonly SettingsTable<QueueSettings> Table = new(new QueueSettings())
    {
        { Setting.Int("MAX_QUEUE_SIZE", "MaxQueueSize", 10, 1, 1_000_000), (o, v) => o with { MaxQueueSize = v } },
        { Setting.Int("TASK_TTL_SECONDS", "TaskTtlSeconds", 86_400, 1, 365 * 86_400), (o, v) => o with { TaskTtlSeconds = v } },
        { Setting.Int("PHAROS_HISTORY_SIZE", "HistorySize", 100, 1, 100_000), (o, v) => o with { HistorySize = v } },
        { Setting.Seconds("PHAROS_SWEEP_INTERVAL_SECONDS", "SweepIntervalSeconds", 30, 1, 86_400), (o, v) => o with { SweepInterval = v } },
        { Setting.Int("PHAROS_SNAPSHOT_EVERY", "SnapshotEvery", 100, 1, 1_000_000), (o, v) => o with { SnapshotEvery = v } },
        { Setting.Seconds("PHAROS_LEASE_TIMEOUT_SECONDS", "LeaseTimeoutSeconds", 300, 1, 86_400), (o, v) => o with { LeaseDuration = v } },
        { Setting.Int("PHAROS_MAX_ATTEMPTS", "MaxAttempts", 3, 1, 100), (o, v) => o with { MaxAttempts = v } },
    };

    public static QueueSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private QueueSettings() { }

    /// <summary>Pending tasks the queue holds at most (the cap the gateway enforces).</summary>
    public int MaxQueueSize { get; init; }
    /// <summary>How long a task may wait for a worker before it expires.</summary>
    public int TaskTtlSeconds { get; init; }
    /// <summary>Finished jobs kept for GET /jobs/{id}.</summary>
    public int HistorySize { get; init; }
    public TimeSpan SweepInterval { get; init; }
    public int SnapshotEvery { get; init; }
    /// <summary>How long a worker may stay silent about its task before the task goes to another worker.</summary>
    public TimeSpan LeaseDuration { get; init; }
    /// <summary>Attempts a task gets before a lost worker fails it with <c>worker_lost</c>.</summary>
    public int MaxAttempts { get; init; }
}
