using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Pharos.Messages.Queries;

namespace Pharos.Actors.Tests.Queue;

/// <summary>The queue's side of the pull protocol, with test probes in the workers' place.</summary>
public sealed class QueueWorkerProtocolTests : TestKit
{
    private static readonly Config JournalConfig = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """);

    private static readonly TaskMetrics Metrics = new("c0ffee", 12, 30, 12, 0.75,
        new StageSeconds { Clone = 1, Parse = 0.5, Train = 2, Store = 0.1 }, Dims: 64);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly TestProbe _mediator;

    public QueueWorkerProtocolTests() : base(JournalConfig) => _mediator = CreateTestProbe();

    private static QueueSettings Settings(double leaseSeconds = 300, int maxAttempts = 3) =>
        QueueSettings.Default with { LeaseDuration = TimeSpan.FromSeconds(leaseSeconds), MaxAttempts = maxAttempts };

    private IActorRef StartQueue(QueueSettings settings, string? name = null) =>
        Sys.ActorOf(QueueActor.Props(settings, _clock, _mediator.Ref), name);

    private string Enqueue(IActorRef queue, string repo)
    {
        queue.Tell(new EnqueueTask(repo, Priority.Normal, "test"), TestActor);
        return ExpectMsg<IngestAccepted>().TaskId;
    }

    private TestProbe RegisteredWorker(IActorRef queue, string id)
    {
        var worker = CreateTestProbe();
        worker.Send(queue, new RegisterWorker(id, "akka.tcp://pharos@edge:1"));
        worker.ExpectMsg<WorkerRegistered>(r => r.WorkerId == id);
        return worker;
    }

    private static TaskAssigned Take(IActorRef queue, TestProbe worker, string id)
    {
        worker.Send(queue, new RequestWork(id));
        return worker.ExpectMsg<TaskAssigned>();
    }

    private JobRecord Job(IActorRef queue, string taskId)
    {
        queue.Tell(new GetJob(taskId), TestActor);
        return ExpectMsg<JobLookup>().Job!;
    }

    /// <summary>
    /// The submitter's grant is journalled with the task, survives a restart from events and from a snapshot, and
    /// reaches the worker that takes the task; a task without it never gets it.
    /// </summary>
    [Theory]
    [InlineData(1_000)]
    [InlineData(1)]
    public void The_private_repository_grant_survives_a_restart_and_reaches_the_worker(int snapshotEvery)
    {
        var settings = Settings() with { SnapshotEvery = snapshotEvery };
        var first = StartQueue(settings);
        first.Tell(new EnqueueTask("https://github.com/o/private", Priority.High, "ci", PrivateRepos: true), TestActor);
        var granted = ExpectMsg<IngestAccepted>().TaskId;
        var plain = Enqueue(first, "https://github.com/o/public");
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var queue = StartQueue(settings);
        Assert.Equal((true, false), (Job(queue, granted).PrivateRepos, Job(queue, plain).PrivateRepos));
        foreach (var (workerId, taskId, expected) in new[] { ("w1", granted, true), ("w2", plain, false) })
        {
            var worker = RegisteredWorker(queue, workerId);
            worker.Send(queue, new RequestWork(workerId));
            // A WorkAvailable may come first: the tasks were pending when the worker registered.
            var assigned = (TaskAssigned)worker.FishForMessage<object>(m => m is TaskAssigned);
            Assert.Equal((taskId, expected), (assigned.Task.TaskId, assigned.Task.PrivateRepos));
        }
    }

    [Fact]
    public void An_idle_worker_hears_of_new_work_once_and_gets_it_on_request()
    {
        var queue = StartQueue(Settings());
        var worker = RegisteredWorker(queue, "w1");
        worker.Send(queue, new RequestWork("w1"));
        worker.ExpectMsg<NoWorkAvailable>();

        var taskId = Enqueue(queue, "https://github.com/o/a");
        Enqueue(queue, "https://github.com/o/b");
        worker.ExpectMsg<WorkAvailable>();
        // Told once; not again until it has asked.
        worker.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var assigned = Take(queue, worker, "w1");
        Assert.Equal((taskId, "https://github.com/o/a", 1), (assigned.Task.TaskId, assigned.Task.RepoUrl, assigned.Task.Attempt));
        Assert.Equal(_clock.GetUtcNow(), assigned.Task.SubmittedAt);
        Assert.Equal(86_400, assigned.Task.TtlSeconds);

        var job = Job(queue, taskId);
        Assert.Equal((JobStatus.Running, "w1", 1), (job.Status, job.Worker, job.Attempts));
        Assert.NotNull(job.StartedAt);
        _mediator.FishForMessage<Publish>(p => p.Message is QueueDepthChanged { Pending: 1, InFlight: 1 });
    }

    private sealed class RecordingMetrics : IQueueMetrics
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<int> Batches = new();
        public readonly System.Collections.Concurrent.ConcurrentQueue<StageSeconds> Completed = new();

        public void BatchWritten(TimeSpan elapsed, int events)
        {
            Assert.True(elapsed >= TimeSpan.Zero);
            Batches.Enqueue(events);
        }

        public void TaskCompleted(StageSeconds stages) => Completed.Enqueue(stages);
    }

    [Fact]
    public void The_queue_reports_its_batch_writes_and_the_stages_of_completed_tasks_to_its_metrics()
    {
        var metrics = new RecordingMetrics();
        var queue = Sys.ActorOf(QueueActor.Props(Settings(), _clock, _mediator.Ref, metrics));
        var taskId = Enqueue(queue, "https://github.com/o/a");
        Assert.Equal(1, Assert.Single(metrics.Batches));
        Assert.Empty(metrics.Completed);

        var worker = RegisteredWorker(queue, "w1");
        var assigned = Take(queue, worker, "w1");
        CreateTestProbe("intake").Send(queue, new RecordResult(taskId, assigned.LeaseId, Metrics));
        AwaitAssert(() => Assert.Equal(JobStatus.Completed, Job(queue, taskId).Status));

        var stages = Assert.Single(metrics.Completed);
        Assert.Equal((1.0, 0.5, 2.0, 0.1), (stages.Clone, stages.Parse, stages.Train, stages.Store));
        Assert.True(metrics.Batches.Count >= 3);
    }

    [Fact]
    public void Progress_and_completion_are_recorded_and_later_reports_under_the_lease_are_refused()
    {
        var queue = StartQueue(Settings());
        var taskId = Enqueue(queue, "https://github.com/o/a");
        var worker = RegisteredWorker(queue, "w1");
        var assigned = Take(queue, worker, "w1");

        worker.Send(queue, new ReportProgress(taskId, assigned.LeaseId, JobStage.Training, 0.4, "Training... 40%"));
        AwaitAssert(() => Assert.Equal(JobStage.Training, Job(queue, taskId).Stage));

        CreateTestProbe("intake").Send(queue, new RecordResult(taskId, assigned.LeaseId, Metrics));
        AwaitAssert(() => Assert.Equal(JobStatus.Completed, Job(queue, taskId).Status));
        var job = Job(queue, taskId);
        Assert.Equal(("c0ffee", 12, 30, 12, 0.75), (job.CommitSha, job.FilesProcessed, job.Edges, job.EmbeddingsGenerated, job.FinalLoss));
        Assert.Equal(2, job.StageSeconds!.Train);
        Assert.NotNull(job.DurationSeconds);
        Assert.Contains(job.Timeline, t => t is { Status: JobStatus.Running, Detail: "training" });

        worker.Send(queue, new ReportFailed(taskId, assigned.LeaseId, JobReason.TrainingFailed, "late"));
        Assert.Equal(LeaseEndReason.LeaseExpired, worker.ExpectMsg<StopTask>(s => s.TaskId == taskId).Reason);
        Assert.Equal(JobStatus.Completed, Job(queue, taskId).Status);
    }

    [Fact]
    public void A_terminated_worker_loses_its_task_to_the_next_worker_and_the_third_loss_fails_it()
    {
        var queue = StartQueue(Settings());
        var taskId = Enqueue(queue, "https://github.com/o/a");

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var worker = RegisteredWorker(queue, $"w{attempt}");
            var assigned = Take(queue, worker, $"w{attempt}");
            Assert.Equal((taskId, attempt), (assigned.Task.TaskId, assigned.Task.Attempt));
            Sys.Stop(worker.Ref);
            if (attempt < 3)
                AwaitAssert(() => Assert.Equal(JobStatus.Queued, Job(queue, taskId).Status), TimeSpan.FromSeconds(5));
        }

        AwaitAssert(() => Assert.Equal(JobStatus.Failed, Job(queue, taskId).Status), TimeSpan.FromSeconds(5));
        var job = Job(queue, taskId);
        Assert.Equal((JobReason.WorkerLost, 3), (job.Reason, job.Attempts));
        Assert.Equal(2, job.Timeline.Count(t => t.Status == JobStatus.Requeued));
    }

    [Fact]
    public void A_silent_worker_loses_its_lease_and_is_told_to_stop_while_a_reporting_one_keeps_it()
    {
        var queue = StartQueue(Settings(leaseSeconds: 0.6));
        var silentTask = Enqueue(queue, "https://github.com/o/silent");
        var busyTask = Enqueue(queue, "https://github.com/o/busy");
        var silent = RegisteredWorker(queue, "silent");
        var busy = RegisteredWorker(queue, "busy");
        var silentLease = Take(queue, silent, "silent");
        var busyLease = Take(queue, busy, "busy");
        Assert.Equal((silentTask, busyTask), (silentLease.Task.TaskId, busyLease.Task.TaskId));

        // The busy worker reports every 100 ms (the scheduler paces it) while the silent one says nothing.
        var reporting = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(100), queue,
            new ReportProgress(busyTask, busyLease.LeaseId, JobStage.Training, 0.5, "Training..."), busy.Ref);

        var stop = silent.ExpectMsg<StopTask>();
        // A further lease period while it keeps reporting: the busy one is never told to stop.
        busy.ExpectNoMsg(TimeSpan.FromMilliseconds(700));
        reporting.Cancel();
        Assert.Equal((silentTask, silentLease.LeaseId, LeaseEndReason.LeaseExpired), (stop.TaskId, stop.LeaseId, stop.Reason));
        busy.ExpectNoMsg(TimeSpan.Zero);
        Assert.Equal(JobStatus.Running, Job(queue, busyTask).Status);
        var requeued = Job(queue, silentTask);
        Assert.Equal(JobStatus.Queued, requeued.Status);
        Assert.Contains(requeued.Timeline, t => t is { Status: JobStatus.Requeued, Detail: "lease_expired" });
    }

    [Fact]
    public void Cancelling_a_running_task_tells_its_worker_to_stop()
    {
        var queue = StartQueue(Settings());
        var taskId = Enqueue(queue, "https://github.com/o/a");
        var worker = RegisteredWorker(queue, "w1");
        var assigned = Take(queue, worker, "w1");

        queue.Tell(new CancelJob(taskId, "admin", AnyJob: true), TestActor);
        Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelJobResult>().Outcome);

        var stop = worker.ExpectMsg<StopTask>();
        Assert.Equal((taskId, assigned.LeaseId, LeaseEndReason.Cancelled), (stop.TaskId, stop.LeaseId, stop.Reason));
        Assert.Equal(JobStatus.Cancelled, Job(queue, taskId).Status);
        // The worker is free: its next request gets the next task, not a refusal.
        Enqueue(queue, "https://github.com/o/b");
        Assert.Equal("https://github.com/o/b", Take(queue, worker, "w1").Task.RepoUrl);
    }

    [Fact]
    public void After_a_queue_restart_the_running_worker_keeps_its_lease_and_a_restarted_one_loses_it()
    {
        var settings = Settings();
        var queue = StartQueue(settings, "queue-1");
        var keptTask = Enqueue(queue, "https://github.com/o/kept");
        var lostTask = Enqueue(queue, "https://github.com/o/lost");
        var keeper = RegisteredWorker(queue, "keeper");
        var kept = Take(queue, keeper, "keeper");
        var loser = RegisteredWorker(queue, "loser");
        Take(queue, loser, "loser");

        Watch(queue);
        Sys.Stop(queue);
        ExpectTerminated(queue);
        var restarted = StartQueue(settings, "queue-2");

        Assert.Equal(JobStatus.Running, Job(restarted, keptTask).Status);
        // The keeper still runs its task; the loser's process restarted and knows of no task.
        keeper.Send(restarted, new RegisterWorker("keeper", "akka.tcp://pharos@edge:1", keptTask, kept.LeaseId));
        keeper.ExpectMsg<WorkerRegistered>();
        loser.Send(restarted, new RegisterWorker("loser", "akka.tcp://pharos@edge:2"));
        loser.ExpectMsg<WorkerRegistered>();

        AwaitAssert(() => Assert.Equal(JobStatus.Queued, Job(restarted, lostTask).Status));
        Assert.Contains(Job(restarted, lostTask).Timeline, t => t is { Status: JobStatus.Requeued, Detail: "worker_restarted" });

        CreateTestProbe("intake").Send(restarted, new RecordResult(keptTask, kept.LeaseId, Metrics));
        AwaitAssert(() => Assert.Equal(JobStatus.Completed, Job(restarted, keptTask).Status));
        keeper.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_stale_task_is_skipped_at_dispatch_and_the_next_one_is_assigned()
    {
        var queue = StartQueue(Settings() with { TaskTtlSeconds = 60 });
        var stale = Enqueue(queue, "https://github.com/o/stale");
        _clock.Advance(TimeSpan.FromSeconds(50));
        var fresh = Enqueue(queue, "https://github.com/o/fresh");
        _clock.Advance(TimeSpan.FromSeconds(11));

        var worker = RegisteredWorker(queue, "w1");
        Assert.Equal(fresh, Take(queue, worker, "w1").Task.TaskId);
        var skipped = Job(queue, stale);
        Assert.Equal((JobStatus.Skipped, JobReason.TtlExpired), (skipped.Status, skipped.Reason));
    }

    [Fact]
    public void A_worker_that_finds_its_task_stale_has_it_recorded_as_skipped()
    {
        var queue = StartQueue(Settings());
        var taskId = Enqueue(queue, "https://github.com/o/a");
        var worker = RegisteredWorker(queue, "w1");
        var assigned = Take(queue, worker, "w1");

        worker.Send(queue, new ReportSkipped(taskId, assigned.LeaseId, 90_000, 86_400));

        AwaitAssert(() => Assert.Equal(JobStatus.Skipped, Job(queue, taskId).Status));
        var job = Job(queue, taskId);
        Assert.Equal((JobReason.TtlExpired, 90_000.0), (job.Reason, job.AgeSeconds));
        _mediator.FishForMessage<Publish>(p => p.Message is QueueDepthChanged { InFlight: 0, Pending: 0 });
    }
}
