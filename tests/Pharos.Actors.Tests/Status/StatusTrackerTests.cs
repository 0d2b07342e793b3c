using Akka.TestKit.Xunit2;
using Pharos.Actors.Status;
using Pharos.Messages.Queries;

namespace Pharos.Actors.Tests.Status;

public sealed class StatusTrackerTests : TestKit
{
    // The tracker follows cluster membership, so it needs a cluster-capable system (it joins nothing here).
    public StatusTrackerTests() : base("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """)
    {
    }

    private static WorkerStatusChanged Worker(string id, WorkerState state, string? repo = null, string? message = null) =>
        new(id, "akka.tcp://pharos@edge:1", state, null, repo, null, null, message, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Overall_status_keeps_the_original_strings()
    {
        Assert.Equal("Offline", StatusTracker.OverallStatus([]));
        Assert.Equal("Offline", StatusTracker.OverallStatus([Worker("a", WorkerState.Offline)]));
        Assert.Equal("Idle", StatusTracker.OverallStatus([Worker("a", WorkerState.Idle), Worker("b", WorkerState.Offline)]));
        Assert.Equal("Training Graph on https://github.com/a/b",
            StatusTracker.OverallStatus([Worker("a", WorkerState.Idle), Worker("b", WorkerState.Busy, "https://github.com/a/b")]));
        Assert.Equal("Error: clone failed", StatusTracker.OverallStatus([Worker("a", WorkerState.Error, message: "clone failed")]));
    }

    [Fact]
    public void Serves_the_queue_depth_it_is_told()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var queue = CreateTestProbe();
        var mediator = CreateTestProbe();
        var tracker = Sys.ActorOf(StatusTracker.Props(queue.Ref, mediator.Ref, clock, 10));

        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.QueueDepth);
        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.WorkerStatus);
        tracker.Tell(new SubscribeAck(new Subscribe(Topics.QueueDepth, tracker)));
        queue.ExpectMsg<GetQueueDepth>();
        tracker.Tell(new QueueDepthChanged(3, 0, 12, clock.GetUtcNow().AddHours(1)));

        tracker.Tell(GetWorkerStatus.Instance);
        var view = ExpectMsg<WorkerStatusView>();
        Assert.Equal("Offline", view.Status);
        Assert.Empty(view.Workers);
        Assert.Equal(new QueueStatus(3, 0, 12), view.Queue);
    }

    [Fact]
    public void Serves_the_workers_latest_reports_and_asks_them_for_their_status_once_subscribed()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var mediator = CreateTestProbe();
        var tracker = Sys.ActorOf(StatusTracker.Props(CreateTestProbe().Ref, mediator.Ref, clock, 10));
        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.QueueDepth);
        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.WorkerStatus);

        tracker.Tell(new SubscribeAck(new Subscribe(Topics.WorkerStatus, tracker)));
        var ask = mediator.ExpectMsg<Publish>();
        Assert.Equal((Topics.WorkerStatusRequests, WorkerStatusRequested.Instance), (ask.Topic, ask.Message));

        var at = clock.GetUtcNow();
        WorkerStatusChanged Report(string id, WorkerState state, JobStage? stage, double? progress, string message, int second) =>
            new(id, "akka.tcp://pharos@edge:1", state, state == WorkerState.Busy ? "t1" : null,
                state == WorkerState.Busy ? "https://github.com/o/r" : null, stage, progress, message, at, at.AddSeconds(second));

        tracker.Tell(Report("b", WorkerState.Idle, null, null, "Idle", 0));
        tracker.Tell(Report("a", WorkerState.Busy, JobStage.Training, 0.4, "Training... 40%", 2));
        // An older report arriving late does not undo a newer one.
        tracker.Tell(Report("a", WorkerState.Busy, JobStage.Cloning, 0.1, "Cloning... 10%", 1));

        tracker.Tell(GetWorkerStatus.Instance);
        var view = ExpectMsg<WorkerStatusView>();
        Assert.Equal("Training Graph on https://github.com/o/r", view.Status);
        Assert.Equal(["a", "b"], view.Workers.Select(w => w.WorkerId));
        var busy = view.Workers[0];
        Assert.Equal((WorkerState.Busy, JobStage.Training, 0.4, "Training... 40%", "t1"),
            (busy.State, busy.Stage, busy.Progress, busy.Message, busy.TaskId));
        Assert.Equal(at.AddSeconds(2), busy.At);
    }

    private static WorkerStatusChanged Report(string id, int progress, DateTimeOffset at) =>
        new(id, "akka.tcp://pharos@edge:1", WorkerState.Busy, "t1", "https://github.com/o/r", JobStage.Training,
            progress / 100.0, $"Training... {progress}%", at, at.AddMilliseconds(progress));

    private (IActorRef Tracker, ManualClock Clock) StartTracker()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var tracker = Sys.ActorOf(StatusTracker.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, clock, 10));
        return (tracker, clock);
    }

    [Fact]
    public void A_subscriber_gets_the_view_at_once_and_after_every_change()
    {
        var (tracker, clock) = StartTracker();
        var subscriber = CreateTestProbe();

        tracker.Tell(new SubscribeStatus(subscriber.Ref));
        var first = subscriber.ExpectMsg<WorkerStatusView>();
        Assert.Equal(("Offline", new QueueStatus(0, 0, 10)), (first.Status, first.Queue));

        tracker.Tell(Report("a", 40, clock.GetUtcNow()));
        var afterReport = subscriber.ExpectMsg<WorkerStatusView>();
        Assert.Equal(0.4, Assert.Single(afterReport.Workers).Progress);

        tracker.Tell(new QueueDepthChanged(2, 1, 10, null));
        Assert.Equal(new QueueStatus(2, 1, 10), subscriber.ExpectMsg<WorkerStatusView>().Queue);

        // The same counts again (only the soonest expiry moved) is no change worth a view.
        tracker.Tell(new QueueDepthChanged(2, 1, 10, clock.GetUtcNow()));
        subscriber.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_burst_of_reports_reaches_subscribers_as_a_few_views_ending_with_the_latest()
    {
        var (tracker, clock) = StartTracker();
        var subscriber = CreateTestProbe();
        tracker.Tell(new SubscribeStatus(subscriber.Ref));
        subscriber.ExpectMsg<WorkerStatusView>();

        var at = clock.GetUtcNow();
        for (var progress = 1; progress <= 100; progress++) tracker.Tell(Report("a", progress, at));

        var views = new List<WorkerStatusView>();
        // At most one view per PushInterval (100 ms): leading edge, then the trailing one with the latest state.
        subscriber.ReceiveWhile(TimeSpan.FromMilliseconds(600), message => (WorkerStatusView)message, msgs: 100)
            .ToList().ForEach(views.Add);
        Assert.InRange(views.Count, 1, 3);
        Assert.Equal(1.0, Assert.Single(views[^1].Workers).Progress);
    }

    [Fact]
    public void Unsubscribed_and_stopped_subscribers_get_nothing_more()
    {
        var (tracker, clock) = StartTracker();
        var leaving = CreateTestProbe();
        var stopping = CreateTestProbe();
        var staying = CreateTestProbe();
        foreach (var probe in new[] { leaving, stopping, staying })
        {
            tracker.Tell(new SubscribeStatus(probe.Ref));
            probe.ExpectMsg<WorkerStatusView>();
        }

        tracker.Tell(new UnsubscribeStatus(leaving.Ref));
        Watch(stopping.Ref);
        Sys.Stop(stopping.Ref);
        ExpectTerminated(stopping.Ref);
        tracker.Tell(Report("a", 10, clock.GetUtcNow()));

        staying.ExpectMsg<WorkerStatusView>();
        leaving.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Ten_times_as_many_workers_gone_offline_past_the_retention_are_forgotten_without_anyone_reading()
    {
        const int workers = 100;
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var tracker = ActorOfAsTestActorRef<StatusTracker>(StatusTracker.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, clock, 10));
        for (var round = 0; round < 10; round++)
        {
            // A generation of workers, each under a name of its own (an edge restarted elsewhere), then gone offline.
            var now = clock.GetUtcNow();
            for (var i = 0; i < workers; i++)
                tracker.Tell(new WorkerStatusChanged($"edge-{round}-{i}", $"akka.tcp://pharos@edge-{round}-{i}:1",
                    WorkerState.Offline, null, null, null, null, "Stopped", now, now));
            Assert.InRange(tracker.UnderlyingActor.WorkerCount, 1, workers);
            clock.Advance(StatusTracker.OfflineRetention + TimeSpan.FromSeconds(1));
        }
        tracker.Tell(Report("last", 10, clock.GetUtcNow()));
        Assert.Equal(1, tracker.UnderlyingActor.WorkerCount);
    }

    [Fact]
    public async Task Addresses_of_nodes_that_left_are_forgotten_with_their_workers()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
        var tracker = ActorOfAsTestActorRef<StatusTracker>(StatusTracker.Props(CreateTestProbe().Ref, CreateTestProbe().Ref, clock, 10));
        for (var i = 0; i < 3; i++)
        {
            // A node of its own, with a worker, joins and leaves: its worker shows offline and its address as down.
            using var edge = ActorSystem.Create(Sys.Name, Sys.Settings.Config);
            var edgeCluster = Akka.Cluster.Cluster.Get(edge);
            await edgeCluster.JoinAsync(cluster.SelfAddress);
            var address = edgeCluster.SelfAddress.ToString();
            var now = clock.GetUtcNow();
            tracker.Tell(new WorkerStatusChanged($"edge-{i}", address, WorkerState.Idle, null, null, null, null, "Idle", now, now));
            await edgeCluster.LeaveAsync();
            await edge.Terminate();
            AwaitAssert(() => Assert.Equal(i + 1, tracker.UnderlyingActor.DownAddressCount), TimeSpan.FromSeconds(30));
        }

        clock.Advance(StatusTracker.OfflineRetention + TimeSpan.FromSeconds(1));
        tracker.Tell(Report("last", 10, clock.GetUtcNow()));
        AwaitAssert(() => Assert.Equal((1, 0), (tracker.UnderlyingActor.WorkerCount, tracker.UnderlyingActor.DownAddressCount)),
            TimeSpan.FromSeconds(10));
    }
}
