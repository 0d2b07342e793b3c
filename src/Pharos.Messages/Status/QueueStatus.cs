namespace Pharos.Messages.Status;

/// <summary>
/// Published by QueueActor on DistributedPubSub topic <see cref="Topics.QueueDepth"/> after every change. With the
/// soonest expiry the gateway can tell a queue that is really full from one whose oldest task has just expired (the
/// queue sweeps it on the next admission), so a queue full of stale tasks never refuses work between two sweeps.
/// </summary>
[Manifest("queue-depth-changed.v1")]
public sealed record QueueDepthChanged(int Pending, int InFlight, int Max, DateTimeOffset? SoonestExpiry) : IPharosMessage
{
    /// <summary>True only while every pending task is live and they fill the cap.</summary>
    public bool IsFull(DateTimeOffset now) => Pending >= Max && (SoonestExpiry is null || now <= SoonestExpiry);

    /// <summary>Seconds until a slot frees at the latest (by expiry), 1 to 60; workers usually free one sooner.</summary>
    public int RetryAfterSeconds(DateTimeOffset now) =>
        SoonestExpiry is { } soonest ? (int)Math.Clamp(Math.Ceiling((soonest - now).TotalSeconds), 1, 60) : 60;
}

/// <summary>QueueActor's answer to <see cref="Queries.GetQueueStatus"/>: pending and running counts with the cap.</summary>
[Manifest("queue-status.v1")]
public sealed record QueueStatus(int Pending, int InFlight, int Max) : IPharosMessage;

public static class Topics
{
    public const string QueueDepth = "queue-depth";
    public const string WorkerStatus = "worker-status";
    public const string WorkerStatusRequests = "worker-status-requests";
}
