using System.Text.Json.Serialization;

namespace Pharos.Api.Contracts.Http;

/// <summary>
/// `GET /cluster/members`: this node's view of the cluster. Addresses are `akka.tcp://pharos@host:port`
/// (`akka.ssl.tcp://` with mutual TLS on).
/// </summary>
/// <param name="Insecure">This node's cluster port listens beyond loopback without mutual TLS
/// (PHAROS_CLUSTER_INSECURE=true): any peer that reaches it can join. Mutual TLS is all or nothing, so its members
/// run without it too.</param>
public sealed record ClusterMembersDto(string Self, string? Leader, IReadOnlyList<ClusterMemberDto> Members,
    IReadOnlyList<string> Unreachable, bool Insecure);

/// <param name="Status">One of joining, weakly_up, up, leaving, exiting, down, removed.</param>
/// <param name="UpNumber">1 for the oldest member (where the singletons run), 0 for one not up yet.</param>
public sealed record ClusterMemberDto(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, int UpNumber);

/// <summary>The answer to `POST /cluster/leave` and `POST /cluster/down`: the request was handed to the cluster.</summary>
public sealed record ClusterActionDto(string Address, string Action);

/// <summary>
/// One membership change as `GET /cluster/events` streams it. <see cref="Address"/> is null only for a
/// leader_changed to no leader; <see cref="Roles"/> is empty for leader_changed.
/// </summary>
public sealed record ClusterEventDto(ClusterEventType Type, string? Address, IReadOnlyList<string> Roles, DateTimeOffset At);

[JsonConverter(typeof(SnakeCaseEnumConverter<ClusterEventType>))]
public enum ClusterEventType
{
    MemberUp,
    MemberLeft,
    MemberExited,
    MemberRemoved,
    Unreachable,
    Reachable,
    LeaderChanged,
}
