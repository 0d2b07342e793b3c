using Akka.Cluster;
using Akka.TestKit.Xunit2;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Live;

namespace Pharos.CloudNode.Tests;

/// <summary>The cluster events feed as a stream, against a cluster of one in the test's own actor system.</summary>
public sealed class LiveFeedTests : TestKit
{
    public LiveFeedTests() : base("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """)
    {
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
