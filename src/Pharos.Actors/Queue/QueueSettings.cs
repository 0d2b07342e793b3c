using Pharos.Actors.Configuration;

namespace Pharos.Actors.Queue;

/// <summary>What QueueActor needs of <see cref="PharosSettings"/>.</summary>
public sealed record QueueSettings(
    int MaxQueueSize,
    int TaskTtlSeconds,
    int HistorySize,
    TimeSpan SweepInterval,
    int SnapshotEvery)
{
    public static QueueSettings From(PharosSettings settings) => new(
        settings.MaxQueueSize, settings.TaskTtlSeconds, settings.HistorySize,
        TimeSpan.FromSeconds(settings.SweepIntervalSeconds), settings.SnapshotEvery);
}
