using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;

namespace Pharos.CloudNode.Live;

/// <summary>
/// A stream of what an actor is told, for one HTTP connection: a small actor writes into a bounded channel that the
/// handler reads. Disposing stops the actor, which unsubscribes.
/// </summary>
public sealed class LiveFeed<T> : IDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _sink;

    internal LiveFeed(ActorSystem system, IActorRef sink, ChannelReader<T> reader)
    {
        _system = system;
        _sink = sink;
        Reader = reader;
    }

    public ChannelReader<T> Reader { get; }

    public void Dispose() => _system.Stop(_sink);
}

public static class LiveFeeds
{
    /// <summary>
    /// The tracker's views. Each view is the whole state, so a client that falls behind only needs the newest: the
    /// channel holds one and drops the older, and a slow client never holds up the tracker or the others.
    /// </summary>
    public static LiveFeed<WorkerStatusView> Status(ActorSystem system, IActorRef tracker)
    {
        var channel = Channel.CreateBounded<WorkerStatusView>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true,
        });
        var sink = system.ActorOf(Props.Create(() => new StatusSink(tracker, channel.Writer)));
        return new LiveFeed<WorkerStatusView>(system, sink, channel.Reader);
    }

    /// <summary>
    /// Membership events from now on. Events are not summaries, so they queue (up to a bound well above any real
    /// burst); past it a client too slow to read is dropped rather than given a gap it cannot see.
    /// </summary>
    public static LiveFeed<ClusterEventDto> ClusterEvents(ActorSystem system, TimeProvider clock)
    {
        var channel = Channel.CreateBounded<ClusterEventDto>(new BoundedChannelOptions(1024)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true,
        });
        var sink = system.ActorOf(Props.Create(() => new ClusterEventSink(channel.Writer, clock)));
        return new LiveFeed<ClusterEventDto>(system, sink, channel.Reader);
    }
}

/// <summary>Subscribes to the StatusTracker and hands every view on; used by the streams and the metrics.</summary>
internal sealed class StatusSink : ReceiveActor
{
    private readonly IActorRef _tracker;
    private readonly Action<WorkerStatusView> _onView;
    private readonly Action _onStop;

    public StatusSink(IActorRef tracker, ChannelWriter<WorkerStatusView> writer)
        : this(tracker, view => writer.TryWrite(view), () => writer.TryComplete())
    {
    }

    public StatusSink(IActorRef tracker, Action<WorkerStatusView> onView, Action onStop)
    {
        _tracker = tracker;
        _onView = onView;
        _onStop = onStop;
        Receive<WorkerStatusView>(view => _onView(view));
        // Without the tracker there is nothing more to stream: the connection ends and the client reconnects.
        Receive<Terminated>(_ => Context.Stop(Self));
    }

    protected override void PreStart()
    {
        Context.Watch(_tracker);
        _tracker.Tell(new SubscribeStatus(Self));
    }

    protected override void PostStop()
    {
        _tracker.Tell(new UnsubscribeStatus(Self));
        _onStop();
    }
}

/// <summary>Cluster membership events as <see cref="ClusterEventDto"/>s, from subscription on (no replay of the current state).</summary>
internal sealed class ClusterEventSink : ReceiveActor
{
    private readonly ChannelWriter<ClusterEventDto> _writer;

    public ClusterEventSink(ChannelWriter<ClusterEventDto> writer, TimeProvider clock)
    {
        _writer = writer;
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ClusterEvent.IClusterDomainEvent>(e =>
        {
            var mapped = Map(e, clock.GetUtcNow());
            if (mapped is not null && !_writer.TryWrite(mapped))
            {
                Context.Stop(Self); // PostStop completes the channel: the stream ends and the client reconnects.
            }
        });
    }

    internal static ClusterEventDto? Map(ClusterEvent.IClusterDomainEvent e, DateTimeOffset at)
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

    protected override void PreStart() =>
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        _writer.TryComplete();
    }
}
