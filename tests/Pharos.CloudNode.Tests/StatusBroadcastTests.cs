using System.Text;
using System.Threading.Channels;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pharos.Actors.Status;
using Pharos.CloudNode.Api;
using Pharos.CloudNode.Live;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// <see cref="StatusBroadcast"/>: each view serialized once for every connection, the current view first, a bounded
/// buffer per connection that drops the oldest view; and <see cref="StatusBroadcaster"/>, its one tracker subscription.
/// </summary>
public sealed class StatusBroadcastTests : TestKit
{
    private static WorkerStatusView View(int pending) => new("Idle", [], new QueueStatus(pending, 0, 1000));

    /// <summary>The HTTP API's JSON options, as CloudApp configures them.</summary>
    private static readonly JsonOptions Http = HttpJson();

    private static JsonOptions HttpJson()
    {
        var options = new JsonOptions();
        PharosJson.Configure(options.SerializerOptions);
        return options;
    }

    private static StatusBroadcast NewBroadcast() => new(Options.Create(Http));

    private static int Pending(SerializedStatus view) =>
        JsonDocument.Parse(view.Json).RootElement.GetProperty("queue").GetProperty("pending").GetInt32();

    private static List<SerializedStatus> Drain(ChannelReader<SerializedStatus> views)
    {
        var taken = new List<SerializedStatus>();
        while (views.TryRead(out var view)) taken.Add(view);
        return taken;
    }

    [Fact]
    public void A_view_is_serialized_once_and_every_connection_gets_the_same_bytes()
    {
        var broadcast = NewBroadcast();
        var connections = Enumerable.Range(0, 3).Select(_ => broadcast.Subscribe()).ToList();

        broadcast.Publish(View(7));

        Assert.Equal(1, broadcast.ViewsSerialized);
        var received = connections.Select(c => Assert.Single(Drain(c.Views))).ToList();
        // Not only equal: the very same arrays.
        Assert.All(received, view => Assert.Same(received[0].Json, view.Json));
        Assert.All(received, view => Assert.Same(received[0].EventFrame, view.EventFrame));
        // The body of GET /worker/status, and the same JSON as one `event: status`.
        var json = Encoding.UTF8.GetString(received[0].Json);
        Assert.Equal(JsonSerializer.Serialize(View(7).ToDto(), Http.SerializerOptions), json);
        Assert.Equal($"event: status\ndata: {json}\n\n", Encoding.UTF8.GetString(received[0].EventFrame));
    }

    [Fact]
    public void A_connection_starts_with_the_current_view_which_is_not_serialized_again()
    {
        var broadcast = NewBroadcast();
        using var none = broadcast.Subscribe();
        Assert.Empty(Drain(none.Views)); // nothing published yet: nothing to start with

        broadcast.Publish(View(1));
        using var late = broadcast.Subscribe();
        Assert.Equal([1], Drain(late.Views).Select(Pending));
        broadcast.Publish(View(2));
        Assert.Equal([2], Drain(late.Views).Select(Pending));
        Assert.Equal(2, broadcast.ViewsSerialized);
    }

    [Fact]
    public void A_connection_that_never_reads_holds_only_the_newest_view_and_holds_up_no_one()
    {
        var broadcast = NewBroadcast();
        using var stalled = broadcast.Subscribe();
        using var reader = broadcast.Subscribe();
        var readerSaw = new List<int>();
        for (var pending = 1; pending <= 1000; pending++)
        {
            // Publish never waits for a connection: the reader is served between publications, the stalled one never.
            broadcast.Publish(View(pending));
            readerSaw.AddRange(Drain(reader.Views).Select(Pending));
        }

        Assert.Equal(Enumerable.Range(1, 1000), readerSaw);
        // Drop-oldest with a buffer of one: the stalled connection holds the newest view and nothing else.
        Assert.Equal(StatusBroadcast.ConnectionBuffer, stalled.Views.Count);
        Assert.Equal([1000], Drain(stalled.Views).Select(Pending));
        Assert.Equal(1000, broadcast.ViewsSerialized);
    }

    [Fact]
    public async Task A_disposed_connection_leaves_the_broadcast_and_its_feed_completes()
    {
        var broadcast = NewBroadcast();
        var leaving = broadcast.Subscribe();
        using var staying = broadcast.Subscribe();
        leaving.Dispose();
        broadcast.Publish(View(3));

        await leaving.Views.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Empty(Drain(leaving.Views));
        Assert.Equal([3], Drain(staying.Views).Select(Pending));
    }

    [Fact]
    public async Task When_the_broadcast_ends_every_feed_completes_and_a_later_one_is_complete_at_once()
    {
        var broadcast = NewBroadcast();
        using var open = broadcast.Subscribe();
        broadcast.Publish(View(4));
        broadcast.End();

        Assert.Equal([4], Drain(open.Views).Select(Pending)); // what was buffered is still sent
        await open.Views.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        using var late = broadcast.Subscribe();
        await late.Views.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        broadcast.Publish(View(5));
        Assert.Empty(Drain(late.Views));
    }

    [Fact]
    public async Task The_broadcaster_subscribes_once_to_the_tracker_hands_on_its_views_and_ends_the_feeds_when_it_stops()
    {
        var broadcast = NewBroadcast();
        var tracker = CreateTestProbe();
        var broadcaster = Sys.ActorOf(StatusBroadcaster.Props(tracker, broadcast));
        var subscribe = await tracker.ExpectMsgAsync<SubscribeStatus>();
        Assert.Equal(broadcaster, subscribe.Subscriber);
        using var connection = broadcast.Subscribe();

        broadcaster.Tell(View(9));
        Assert.Equal(9, Pending(await connection.Views.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))));

        Watch(broadcaster);
        Sys.Stop(broadcaster);
        await ExpectTerminatedAsync(broadcaster);
        await connection.Views.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        await tracker.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }
}
