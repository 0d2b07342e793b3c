namespace Pharos.Api.Contracts.Http;

/// <summary>
/// `GET /worker/status`, and each message of its streams. <see cref="Status"/> keeps the original Python service's
/// strings: Offline, Idle, Error: ..., Training Graph on {repo}.
/// </summary>
public sealed record WorkerStatusDto(string Status, IReadOnlyList<WorkerDto> Workers, QueueCountsDto Queue);

/// <summary>One worker as it last reported itself (offline when its node is unreachable or gone).</summary>
/// <param name="Since">When the worker entered <paramref name="State"/>.</param>
/// <param name="LastSeen">When the worker sent its last report.</param>
public sealed record WorkerDto(
    string Id,
    string Address,
    WorkerState State,
    string? TaskId,
    string? RepoUrl,
    JobStage? Stage,
    double? Progress,
    string? Message,
    DateTimeOffset Since,
    DateTimeOffset LastSeen);

/// <summary>Pending and running tasks, and the queue's cap.</summary>
public sealed record QueueCountsDto(int Pending, int InFlight, int Max);

/// <summary>
/// `POST /ws/ticket`: a one-time ticket for `GET /ws/status?ticket=…`, for browsers, which cannot send a token header on
/// a WebSocket. It works once, on the node that issued it, within <see cref="ExpiresIn"/> seconds.
/// </summary>
public sealed record WebSocketTicketDto(string Ticket, int ExpiresIn);
