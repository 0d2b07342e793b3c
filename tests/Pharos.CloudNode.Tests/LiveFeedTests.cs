using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.TestKit.Xunit2;
using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Live;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Tests;

/// <summary>The live feeds as streams, against probes and a cluster of one in the test's own actor system.</summary>
public sealed class LiveFeedTests : TestKit
{
    public LiveFeedTests() : base("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """)
    {
    }

    private static WorkerStatusView View(int pending) => new("Idle", [], new QueueStatus(pending, 0, 1000));

    [Fact]
    public async Task A_status_run_subscribes_to_the_tracker_passes_its_views_on_and_is_forgotten_when_the_consumer_leaves()
    {
        var tracker = CreateTestProbe();
        IActorRef subscriber;
        await using (var views = LiveFeeds.Status(tracker).RunForOne(Sys).GetAsyncEnumerator())
        {
            subscriber = (await tracker.ExpectMsgAsync<SubscribeStatus>()).Subscriber;
            Watch(subscriber);
            foreach (var pending in new[] { 1, 2 })
            {
                subscriber.Tell(View(pending));
                Assert.True(await views.MoveNextAsync());
                Assert.Equal(pending, views.Current.Queue.Pending);
            }
        }
        // The tracker watches its subscribers: the end of the run is what it sees.
        await ExpectTerminatedAsync(subscriber);
        await tracker.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_consumer_that_does_not_read_holds_a_bounded_few_views_and_then_gets_the_newest()
    {
        var tracker = CreateTestProbe();
        await using var views = LiveFeeds.Status(tracker).RunForOne(Sys).GetAsyncEnumerator();
        var subscriber = (await tracker.ExpectMsgAsync<SubscribeStatus>()).Subscriber;
        for (var pending = 1; pending <= 1000; pending++) subscriber.Tell(View(pending));
        // The subscriber ignores what is not a view, and says so on the event stream once it got to it: by then it has
        // taken in all 1000.
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled, typeof(UnhandledMessage));
        subscriber.Tell("marker");
        await unhandled.FishForMessageAsync(m => m is UnhandledMessage { Message: "marker" });

        var seen = new List<int>();
        do
        {
            Assert.True(await views.MoveNextAsync());
            seen.Add(views.Current.Queue.Pending);
        } while (seen[^1] < 1000);
        // In order, the newest last, and no backlog: at most what the stream's own buffers hold (one at the source,
        // one stream input buffer of 16, one folded view, one for the consumer).
        Assert.Equal(seen.Order(), seen);
        Assert.InRange(seen.Count, 1, 19);
    }

    [Fact]
    public async Task Cluster_events_start_from_now_and_name_the_member()
    {
        var cluster = Cluster.Get(Sys);
        await using var events = LiveFeeds.ClusterEvents(cluster, TimeProvider.System).RunForOne(Sys).GetAsyncEnumerator();
        await cluster.JoinAsync(cluster.SelfAddress);

        var seen = new List<ClusterEventDto>();
        while (!seen.Any(e => e.Type == ClusterEventType.MemberUp))
        {
            Assert.True(await events.MoveNextAsync());
            seen.Add(events.Current);
        }
        var up = seen.Single(e => e.Type == ClusterEventType.MemberUp);
        Assert.Equal(cluster.SelfAddress.ToString(), up.Address);
        Assert.DoesNotContain("dc-default", up.Roles);
    }
}
