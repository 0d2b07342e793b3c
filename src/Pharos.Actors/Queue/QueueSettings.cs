using Pharos.Actors.Configuration;

namespace Pharos.Actors.Queue;

/// <summary>What QueueActor needs of <see cref="PharosSettings"/>.</summary>
public sealed record QueueSettings(
    int MaxQueueSize,
    int TaskTtlSeconds,
    int HistorySize,
    TimeSpan SweepInterval,
    int SnapshotEvery,
    TimeSpan? LeaseTimeout = null,
    int MaxAttempts = 3)
{
    /// <summary>How long a worker may stay silent about its task before the task goes to another worker.</summary>
    public TimeSpan LeaseDuration => LeaseTimeout ?? TimeSpan.FromSeconds(300);

    public static QueueSettings From(PharosSettings settings) => new(
        settings.MaxQueueSize, settings.TaskTtlSeconds, settings.HistorySize,
        TimeSpan.FromSeconds(settings.SweepIntervalSeconds), settings.SnapshotEvery, settings.LeaseTimeout,
        settings.MaxAttempts);
}
