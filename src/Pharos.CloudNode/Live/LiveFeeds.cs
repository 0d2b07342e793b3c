using Akka;
using Akka.Cluster;
using Akka.Streams;
using Akka.Streams.Dsl;
using Pharos.Api.Contracts.Http;

namespace Pharos.CloudNode.Live;

/// <summary>
/// The cluster's membership events as an Akka.Streams source for `GET /cluster/events` (an admin route, one stream
/// per reader): each run materializes its own small actor (<see cref="Source.ActorRef{T}"/>) and subscribes it; when
/// the consumer stops, the stream ends and the subscription with it. The status views go to every live connection
/// through <see cref="StatusBroadcast"/> instead, serialized once.
/// </summary>
public static class LiveFeeds
{
    /// <summary>Proxies close idle connections: a live connection (WebSocket or event stream) says something this often.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Membership events from now on (no replay of the current state). Events are not summaries, so they queue (up to
    /// a bound well above any real burst); past it the stream fails and a consumer too slow to read is dropped rather
    /// than given a gap it cannot see.
    /// </summary>
    public static Source<ClusterEventDto, NotUsed> ClusterEvents(Cluster cluster, TimeProvider clock) =>
        Source.ActorRef<object>(1024, OverflowStrategy.Fail)
            .WatchTermination((subscriber, done) =>
            {
                cluster.Subscribe(subscriber, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                    typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
                done.ContinueWith(_ => cluster.Unsubscribe(subscriber), TaskScheduler.Default);
                return NotUsed.Instance;
            })
            .SelectMany(e => Map(e, clock.GetUtcNow()) is { } shown ? [shown] : Array.Empty<ClusterEventDto>());

    /// <summary>
    /// Runs a feed for one consumer. The consumer's side holds one item; the rest wait in the feed, which bounds them.
    /// Leaving the enumeration (or cancelling it) stops the stream and so the subscription.
    /// </summary>
    public static IAsyncEnumerable<T> RunForOne<T>(this Source<T, NotUsed> feed, ActorSystem system) =>
        feed.RunAsAsyncEnumerableBuffer(system, minBuffer: 1, maxBuffer: 1);

    /// <summary>How a feed ends when it gives up: a consumer too slow for an event feed, or the node stopping.</summary>
    public static bool Failed(Exception e) =>
        e is BufferOverflowException or AbruptTerminationException or AbruptStageTerminationException;

    /// <summary>
    /// A membership event as the API shows it; null for what the feed leaves out (the initial snapshot, joining, weakly
    /// up, downed).
    /// </summary>
    internal static ClusterEventDto? Map(object e, DateTimeOffset at)
    {
        static ClusterEventDto Of(ClusterEventType type, Member member, DateTimeOffset at) =>
            new(type, member.Address.ToString(), Api.ClusterEndpoints.Roles(member), at);

        return e switch
        {
            ClusterEvent.MemberUp up => Of(ClusterEventType.MemberUp, up.Member, at),
            ClusterEvent.MemberLeft left => Of(ClusterEventType.MemberLeft, left.Member, at),
            ClusterEvent.MemberExited exited => Of(ClusterEventType.MemberExited, exited.Member, at),
            ClusterEvent.MemberRemoved removed => Of(ClusterEventType.MemberRemoved, removed.Member, at),
            ClusterEvent.UnreachableMember unreachable => Of(ClusterEventType.Unreachable, unreachable.Member, at),
            ClusterEvent.ReachableMember reachable => Of(ClusterEventType.Reachable, reachable.Member, at),
            ClusterEvent.LeaderChanged leader => new ClusterEventDto(ClusterEventType.LeaderChanged, leader.Leader?.ToString(), [], at),
            _ => null,
        };
    }
}
