namespace Pharos.Messages.Status;

/// <summary>`GET /cluster/members`: this node's view of the cluster. Addresses are `akka.tcp://pharos@host:port` (`akka.ssl.tcp://` with mutual TLS on).</summary>
[Manifest("cluster-members.v1")]
public sealed record ClusterMembers(string Self, string? Leader, IReadOnlyList<ClusterMemberView> Members,
    IReadOnlyList<string> Unreachable) : IPharosMessage;

/// <param name="Status">One of joining, weakly_up, up, leaving, exiting, down, removed.</param>
[Manifest("cluster-member-view.v1")]
public sealed record ClusterMemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable,
    int UpNumber) : IPharosMessage;

/// <summary>The answer to `POST /cluster/leave` and `POST /cluster/down`: the request was handed to the cluster.</summary>
[Manifest("cluster-action-accepted.v1")]
public sealed record ClusterActionAccepted(string Address, string Action) : IPharosMessage;

/// <summary>
/// One membership change as `GET /cluster/events` streams it. <see cref="Address"/> is null only for a
/// leader_changed to no leader; <see cref="Roles"/> is empty for leader_changed.
/// </summary>
/// <param name="Type">One of <see cref="ClusterEventTypes"/>.</param>
[Manifest("cluster-member-event.v1")]
public sealed record ClusterMemberEvent(string Type, string? Address, IReadOnlyList<string> Roles, DateTimeOffset At)
    : IPharosMessage;

public static class ClusterEventTypes
{
    public const string MemberUp = "member_up";
    public const string MemberLeft = "member_left";
    public const string MemberExited = "member_exited";
    public const string MemberRemoved = "member_removed";
    public const string Unreachable = "unreachable";
    public const string Reachable = "reachable";
    public const string LeaderChanged = "leader_changed";
}
