using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit.Xunit2;
using Pharos.Actors.Status;
using Pharos.Actors.Tests.Support;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Tests.Status;

public sealed class StatusTrackerTests : TestKit
{
    private static WorkerView Worker(string id, string state, string? repo = null, string? message = null) =>
        new(id, "akka.tcp://pharos@edge:1", state, null, repo, null, null, message, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Overall_status_keeps_the_original_strings()
    {
        Assert.Equal("Offline", StatusTracker.OverallStatus([]));
        Assert.Equal("Offline", StatusTracker.OverallStatus([Worker("a", WorkerStates.Offline)]));
        Assert.Equal("Idle", StatusTracker.OverallStatus([Worker("a", WorkerStates.Idle), Worker("b", WorkerStates.Offline)]));
        Assert.Equal("Training Graph on https://github.com/a/b",
            StatusTracker.OverallStatus([Worker("a", WorkerStates.Idle), Worker("b", WorkerStates.Busy, "https://github.com/a/b")]));
        Assert.Equal("Error: clone failed", StatusTracker.OverallStatus([Worker("a", WorkerStates.Error, message: "clone failed")]));
    }

    [Fact]
    public void Serves_the_queue_depth_it_is_told()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var queue = CreateTestProbe();
        var mediator = CreateTestProbe();
        var tracker = Sys.ActorOf(StatusTracker.Props(queue.Ref, mediator.Ref, clock, 10));

        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.QueueDepth);
        tracker.Tell(new SubscribeAck(new Subscribe(Topics.QueueDepth, tracker)));
        queue.ExpectMsg<GetQueueDepth>();
        tracker.Tell(new QueueDepthChanged(3, 0, 12, clock.GetUtcNow().AddHours(1)));

        tracker.Tell(GetWorkerStatus.Instance);
        var view = ExpectMsg<WorkerStatusView>();
        Assert.Equal("Offline", view.Status);
        Assert.Empty(view.Workers);
        Assert.Equal(new QueueStatus(3, 0, 12), view.Queue);
    }
}
