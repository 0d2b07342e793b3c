namespace Pharos.Messages.Status;

/// <summary>
/// Published by a worker on DistributedPubSub topic <see cref="Topics.WorkerStatus"/> on every stage change, at
/// most every 500 ms in between, and whenever a status tracker asks (<see cref="WorkerStatusRequested"/>).
/// </summary>
/// <param name="Since">When the worker entered <paramref name="State"/>.</param>
[Manifest("worker-status-changed.v1")]
public sealed record WorkerStatusChanged(
    string WorkerId,
    string Address,
    WorkerState State,
    string? TaskId,
    string? RepoUrl,
    JobStage? Stage,
    double? Progress,
    string? Message,
    DateTimeOffset Since,
    DateTimeOffset At) : IPharosMessage;

/// <summary>A status tracker that just started asks every worker for its current status (topic <see cref="Topics.WorkerStatusRequests"/>).</summary>
[Manifest("worker-status-requested.v1")]
public sealed record WorkerStatusRequested : IPharosMessage
{
    public static readonly WorkerStatusRequested Instance = new();
}
