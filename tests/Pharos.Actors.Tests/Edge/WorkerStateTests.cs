using Akka.Event;
using Akka.TestKit;
using Microsoft.Extensions.Time.Testing;
using Pharos.Actors.Results;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// The worker's states seen from outside, with puppet children the test speaks for: a step's report moves a run only
/// while it runs and only from its current child; StopTask only for the running lease; a queue lost mid-run; stage
/// durations and the lease renewal on the injected clock.
/// </summary>
public sealed class WorkerStateTests(Xunit.Abstractions.ITestOutputHelper output) : WorkerTestKit(output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly OutboxEntry Result = new("task-c", "lease-c", "/outbox/task-c.lease-c.result");

    /// <summary>Every report a clone or train step sends its parent, each one that would move a run.</summary>
    private static IEnumerable<IStepReport> StepReports() =>
    [
        new CloneProgressed(new CloneProgress(1 << 20, 5, 10)),
        new CloneSucceeded(new CloneResult("0123abcd", 1 << 20, true, TimeSpan.FromSeconds(1))),
        new CloneFailed("late clone failure", Transient: true),
        new TrainProgressed(JobStage.Training, 0.5, "Training... 50%"),
        new TrainSucceeded(3, 2, 0.5, Result),
        new TrainFailed("late training failure"),
        new UploadProgressed(10, 20),
        new UploadDelivered(Result, "c0ffee"),
        new UploadRefused(Result, ResultRefusal.TooLarge, "late refusal"),
    ];

    /// <summary>Stages whose children only tell <paramref name="children"/> who they are.</summary>
    private WorkerStages PuppetStages(WorkerSettings settings, TestProbe children) =>
        Stages(settings, clone: (_, _) => Puppet.Props(children.Ref), train: (_, _) => Puppet.Props(children.Ref),
            upload: _ => Puppet.Props(children.Ref));

    private TestProbe WatchUnhandled()
    {
        var unhandled = CreateTestProbe();
        Sys.EventStream.Subscribe(unhandled.Ref, typeof(UnhandledMessage));
        return unhandled;
    }

    private void AssertNothingHappens(params TestProbe[] also)
    {
        Mediator.ExpectNoMsg(Quiet); // no status
        Queue.ExpectNoMsg(TimeSpan.Zero); // no report, no request
        Proxy.ExpectNoMsg(TimeSpan.Zero);
        foreach (var probe in also) probe.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Step_reports_and_assignments_while_registering_are_dropped_without_a_report_a_status_or_a_dead_letter()
    {
        var settings = Settings();
        var unhandled = WatchUnhandled();
        var stranger = CreateTestProbe();
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System, Stages(settings)));
        var registration = Proxy.ExpectMsg<RegisterWorker>();
        Mediator.ExpectMsg<Subscribe>();
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true).State);

        foreach (var report in StepReports()) worker.Tell(report, stranger.Ref);
        AssertNothingHappens(unhandled);
        // Nor does a task assigned by a queue it is not registered with start a run.
        worker.Tell(new TaskAssigned(NewTask("/any/where", id: "task-r"), "lease-r"), stranger.Ref);
        AssertNothingHappens(unhandled);

        // Still registering: the queue's answer is what makes it ask for work.
        worker.Tell(new WorkerRegistered(WorkerId, registration.Challenge), Queue.Ref);
        Queue.ExpectMsg<RequestWork>();
        Assert.Equal((0, 0), (CloneSteps, TrainSteps));
    }

    [Fact]
    public void A_member_posing_as_the_queue_can_neither_register_the_worker_nor_assign_it_a_task_nor_stop_its_run()
    {
        var settings = Settings();
        var children = CreateTestProbe();
        var impostor = CreateTestProbe("impostor");
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System, PuppetStages(settings, children)));
        var registration = Proxy.ExpectMsg<RegisterWorker>();
        Assert.NotNull(registration.Challenge);
        Mediator.ExpectMsg<Subscribe>();
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true).State);

        // The worker's id is public; its challenge went to the queue alone.
        worker.Tell(new WorkerRegistered(WorkerId), impostor.Ref);
        worker.Tell(new WorkerRegistered(WorkerId, "0123456789ABCDEF0123456789ABCDEF"), impostor.Ref);
        impostor.ExpectNoMsg(Quiet); // not taken for the queue: no RequestWork to it
        Assert.StartsWith("Refused WorkerRegistered from", RefusalLogged(warnings));
        Assert.StartsWith("Refused WorkerRegistered from", RefusalLogged(warnings));
        worker.Tell(new WorkerRegistered(WorkerId, registration.Challenge), Queue.Ref);
        Queue.ExpectMsg<RequestWork>();
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true).State);

        // Registered: an assignment from anyone but that queue starts nothing, and is logged.
        worker.Tell(new TaskAssigned(NewTask("/any/where", id: "task-x"), "lease-x"), impostor.Ref);
        Assert.StartsWith("Refused TaskAssigned of task task-x from", RefusalLogged(warnings));
        children.ExpectNoMsg(Quiet);
        Assert.Equal(0, CloneSteps);

        // A stop of the running lease from anyone but the queue leaves the run running.
        Assign(worker, NewTask("/any/where", id: "task-q"), "lease-q");
        var clone = children.ExpectMsg<IActorRef>();
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);
        Watch(clone);
        worker.Tell(new StopTask("task-q", "lease-q", LeaseEndReason.Cancelled), impostor.Ref);
        Assert.StartsWith("Refused StopTask of task task-q from", RefusalLogged(warnings));
        ExpectNoMsg(Quiet); // no Terminated of the clone step
        worker.Tell(new StopTask("task-q", "lease-q", LeaseEndReason.Cancelled), Queue.Ref);
        ExpectTerminated(clone);
    }

    private static string RefusalLogged(TestProbe warnings) =>
        warnings.FishForMessage<Warning>(w => w.Message.ToString()!.Contains("not the queue this worker registered with"),
            TimeSpan.FromSeconds(5)).Message.ToString()!;

    [Fact]
    public void Late_reports_of_a_stopped_child_while_idle_are_dropped_without_a_report_a_status_or_a_dead_letter()
    {
        var settings = Settings();
        var children = CreateTestProbe();
        var worker = StartRegisteredWorker(settings, PuppetStages(settings, children));
        Assign(worker, NewTask("/any/where", id: "task-i"), "lease-i");
        var clone = children.ExpectMsg<IActorRef>();
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);
        Assert.Equal(WorkerState.Busy, NextStatus(_ => true).State);
        worker.Tell(new StopTask("task-i", "lease-i", LeaseEndReason.Cancelled), Queue.Ref);
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true).State);
        Queue.ExpectMsg<RequestWork>();

        var unhandled = WatchUnhandled();
        foreach (var report in StepReports()) worker.Tell(report, clone);
        AssertNothingHappens(unhandled, children);
        Assert.Equal((1, 0), (CloneSteps, TrainSteps));

        // Idle still: the next task runs.
        Assign(worker, NewTask("/any/where", id: "task-j"), "lease-j");
        var next = Queue.ExpectMsg<ReportProgress>();
        Assert.Equal(("task-j", JobStage.Cloning), (next.TaskId, next.Stage));
    }

    [Fact]
    public void Only_the_current_child_moves_a_run_and_only_with_reports_of_its_own_step()
    {
        var settings = Settings() with { ReportInterval = TimeSpan.Zero };
        var children = CreateTestProbe();
        var unhandled = WatchUnhandled();
        var stranger = CreateTestProbe();
        var worker = StartRegisteredWorker(settings, PuppetStages(settings, children));
        Assign(worker, NewTask("/any/where", id: "task-c"), "lease-c");
        var clone = children.ExpectMsg<IActorRef>();
        Watch(clone);
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);
        Assert.Equal(JobStage.Cloning, NextStatus(_ => true).Stage);

        // Another actor's clone report, and the clone step's own child speaking of training: neither is heard.
        worker.Tell(new CloneSucceeded(new CloneResult("feed", 1, true, TimeSpan.Zero)), stranger.Ref);
        worker.Tell(new CloneFailed("not mine", Transient: false), stranger.Ref);
        worker.Tell(new TrainSucceeded(1, 0, 0.1, Result), clone);
        AssertNothingHappens(unhandled, children);

        worker.Tell(new CloneProgressed(new CloneProgress(1 << 20, 5, 10)), clone);
        var progress = Queue.ExpectMsg<ReportProgress>();
        Assert.Equal((JobStage.Cloning, 0.5), (progress.Stage, progress.Progress));

        worker.Tell(new CloneSucceeded(new CloneResult("c0ffee", 1, true, TimeSpan.Zero)), clone);
        Assert.Equal(JobStage.Parsing, Queue.ExpectMsg<ReportProgress>().Stage);
        ExpectTerminated(clone);
        var train = children.ExpectMsg<IActorRef>();

        // The stopped clone step reports late; the run is training now.
        worker.Tell(new CloneFailed("too late", Transient: false), clone);
        worker.Tell(new CloneProgressed(new CloneProgress(2 << 20, 10, 10)), clone);
        Queue.ExpectNoMsg(Quiet);

        worker.Tell(new TrainSucceeded(3, 2, 0.25, Result), train);
        Assert.Equal(JobStage.Uploading, Queue.ExpectMsg<ReportProgress>().Stage);
        var upload = children.ExpectMsg<IActorRef>();

        // Training's late reports, and the upload's progress: the run completes only when the cloud has the result.
        worker.Tell(new TrainSucceeded(3, 2, 0.25, Result), train);
        worker.Tell(new UploadProgressed(1, 2), upload);
        var uploading = Queue.ExpectMsg<ReportProgress>();
        Assert.Equal((JobStage.Uploading, 0.5), (uploading.Stage, uploading.Progress));
        Queue.ExpectNoMsg(Quiet);
        // Delivered: the cloud completed the task as it stored the result, so the worker only asks for more work.
        worker.Tell(new UploadDelivered(Result, "c0ffee"), upload);
        Queue.ExpectMsg<RequestWork>();
        Assert.Equal((1, 1), (CloneSteps, TrainSteps));
        unhandled.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void StopTask_for_another_lease_or_task_is_ignored_and_for_the_running_one_ends_the_run()
    {
        var settings = Settings();
        var children = CreateTestProbe();
        var worker = StartRegisteredWorker(settings, PuppetStages(settings, children));
        Assign(worker, NewTask("/any/where", id: "task-s"), "lease-s");
        var clone = children.ExpectMsg<IActorRef>();
        Watch(clone);
        Queue.ExpectMsg<ReportProgress>();
        Assert.Equal(WorkerState.Busy, NextStatus(_ => true).State);

        worker.Tell(new StopTask("task-s", "lease-old", LeaseEndReason.LeaseExpired), Queue.Ref);
        worker.Tell(new StopTask("task-other", "lease-s", LeaseEndReason.Cancelled), Queue.Ref);
        AssertNothingHappens();
        ExpectNoMsg(TimeSpan.Zero); // the child runs on

        worker.Tell(new StopTask("task-s", "lease-s", LeaseEndReason.Cancelled), Queue.Ref);
        var idle = NextStatus(_ => true);
        Assert.Equal((WorkerState.Idle, (string?)null, "Idle (task task-s cancelled)"), (idle.State, idle.TaskId, idle.Message));
        ExpectTerminated(clone);
        Queue.ExpectMsg<RequestWork>();
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_queue_lost_mid_run_gets_a_registration_naming_the_run_and_the_run_goes_on_with_its_successor()
    {
        var settings = Settings() with { ReportInterval = TimeSpan.Zero };
        var children = CreateTestProbe();
        var successor = CreateTestProbe("successor");
        var worker = StartRegisteredWorker(settings, PuppetStages(settings, children));
        Assign(worker, NewTask("/any/where", id: "task-q"), "lease-q");
        var clone = children.ExpectMsg<IActorRef>();
        Queue.ExpectMsg<ReportProgress>();

        Sys.Stop(Queue.Ref);
        var again = Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(5));
        Assert.Equal((WorkerId, "task-q", "lease-q"), (again.WorkerId, again.RunningTaskId, again.RunningLeaseId));

        // Unregistered, the run reports through the proxy; the step's reports are still heard.
        worker.Tell(new CloneProgressed(new CloneProgress(1 << 20, 2, 10)), clone);
        var viaProxy = Proxy.ExpectMsg<ReportProgress>();
        Assert.Equal(("task-q", "lease-q", 0.2), (viaProxy.TaskId, viaProxy.LeaseId, viaProxy.Progress));

        // The successor answers: busy, the worker asks it for nothing, and reports to it directly.
        worker.Tell(new WorkerRegistered(WorkerId, again.Challenge), successor.Ref);
        successor.ExpectNoMsg(Quiet);
        worker.Tell(new CloneProgressed(new CloneProgress(2 << 20, 4, 10)), clone);
        Assert.Equal(0.4, successor.ExpectMsg<ReportProgress>().Progress);
        Proxy.ExpectNoMsg(TimeSpan.Zero);

        worker.Tell(new StopTask("task-q", "lease-q", LeaseEndReason.LeaseExpired), successor.Ref);
        successor.ExpectMsg<RequestWork>();
    }

    [Fact]
    public void A_run_that_ends_while_the_queue_is_lost_reports_through_the_proxy_and_the_worker_goes_on_registering()
    {
        var settings = Settings();
        var children = CreateTestProbe();
        var successor = CreateTestProbe("successor");
        var worker = StartRegisteredWorker(settings, PuppetStages(settings, children));
        Assign(worker, NewTask("/any/where", id: "task-e"), "lease-e");
        var clone = children.ExpectMsg<IActorRef>();
        Queue.ExpectMsg<ReportProgress>();
        Sys.Stop(Queue.Ref);
        Assert.Equal("lease-e", Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(5)).RunningLeaseId);

        worker.Tell(new CloneFailed("no such repository", Transient: false), clone);
        var failed = Proxy.ExpectMsg<ReportFailed>();
        Assert.Equal(("task-e", "lease-e", JobReason.CloneFailed), (failed.TaskId, failed.LeaseId, failed.Reason));
        Assert.Equal(WorkerState.Error, NextStatus(s => s.State != WorkerState.Busy).State);

        // Registering again, now without a run to name; nobody is asked for work until a queue answers.
        var next = Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(8));
        Assert.Equal(((string?)null, (string?)null), (next.RunningTaskId, next.RunningLeaseId));
        successor.ExpectNoMsg(TimeSpan.Zero);
        worker.Tell(new WorkerRegistered(WorkerId, next.Challenge), successor.Ref);
        successor.ExpectMsg<RequestWork>();
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Stage_durations_and_the_lease_renewal_follow_the_injected_clock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = Settings();
        var children = CreateTestProbe();
        var orders = new List<TrainOrder>();
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (_, _) => Puppet.Props(children.Ref),
            train: (order, _) =>
            {
                orders.Add(order);
                return Puppet.Props(children.Ref);
            },
            upload: _ => Puppet.Props(children.Ref)), clock);
        Assign(worker, NewTask("/any/where", id: "task-t"), "lease-t");
        var clone = children.ExpectMsg<IActorRef>();
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);

        // Within a stage, the lease is renewed at most every ReportInterval of the worker's clock.
        worker.Tell(new CloneProgressed(new CloneProgress(1, 1, 10)), clone);
        Queue.ExpectNoMsg(Quiet);
        clock.Advance(settings.ReportInterval);
        worker.Tell(new CloneProgressed(new CloneProgress(2, 3, 10)), clone);
        Assert.Equal(0.3, Queue.ExpectMsg<ReportProgress>().Progress);
        worker.Tell(new CloneProgressed(new CloneProgress(3, 4, 10)), clone);
        Queue.ExpectNoMsg(Quiet);

        clock.Advance(TimeSpan.FromMilliseconds(1500));
        worker.Tell(new CloneSucceeded(new CloneResult("beef", 3, true, TimeSpan.Zero)), clone);
        Assert.Equal(JobStage.Parsing, Queue.ExpectMsg<ReportProgress>().Stage);
        var train = children.ExpectMsg<IActorRef>();
        worker.Tell(new TrainSucceeded(3, 2, 0.25, Result), train);
        Assert.Equal(JobStage.Uploading, Queue.ExpectMsg<ReportProgress>().Stage);
        // The clone's duration on the worker's clock goes into the result (parse and train time come from the trainer).
        Assert.Equal(3.5, Assert.Single(orders).CloneSeconds);
        worker.Tell(new UploadDelivered(Result, "beef"), children.ExpectMsg<IActorRef>());
        Queue.ExpectMsg<RequestWork>();

        var idle = NextStatus(s => s.State == WorkerState.Idle);
        Assert.Equal(clock.GetUtcNow(), idle.At);
    }

    /// <summary>A step that does nothing but tell <c>children</c> who it is, so that the test speaks as the step.</summary>
    private sealed class Puppet(IActorRef children) : ReceiveActor
    {
        protected override void PreStart() => children.Tell(Self);

        public static Props Props(IActorRef children) => Akka.Actor.Props.Create(() => new Puppet(children));
    }
}
