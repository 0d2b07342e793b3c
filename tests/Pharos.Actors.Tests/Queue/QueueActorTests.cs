using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using Pharos.Messages.Queries;

namespace Pharos.Actors.Tests.Queue;

/// <summary>QueueActor over Akka.Persistence.TestKit's journal, whose writes a test can make fail.</summary>
public sealed class QueueActorTests : TestKit
{
    private static readonly Config JournalConfig = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test {
          class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
          plugin-dispatcher = "akka.actor.default-dispatcher"
        }
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));
    private readonly Akka.TestKit.TestProbe _mediator;

    public QueueActorTests() : base(JournalConfig) => _mediator = CreateTestProbe();

    private static QueueSettings Settings(int cap = 3, int snapshotEvery = 100, double sweepSeconds = 30) =>
        QueueSettings.Default with { MaxQueueSize = cap, SweepInterval = TimeSpan.FromSeconds(sweepSeconds), SnapshotEvery = snapshotEvery };

    private IActorRef StartQueue(QueueSettings settings) =>
        Sys.ActorOf(QueueActor.SupervisedProps(settings, _clock, _mediator.Ref));

    private IngestAccepted Enqueue(IActorRef queue, string repo, Priority priority = Priority.Normal)
    {
        queue.Tell(new EnqueueTask(repo, priority, "test"), TestActor);
        return ExpectMsg<IngestAccepted>();
    }

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    [Fact]
    public void Accepts_with_position_and_size_and_publishes_the_depth()
    {
        var queue = StartQueue(Settings());
        var first = Enqueue(queue, "https://github.com/a/one");
        var urgent = Enqueue(queue, "https://github.com/a/two", Priority.High);

        Assert.Equal((1, 1, 3), (first.Position, first.QueueSize, first.MaxQueueSize));
        Assert.Equal((1, 2), (urgent.Position, urgent.QueueSize));
        Assert.Equal(first.SubmittedAt.AddDays(1), first.ExpiresAt);
        _mediator.FishForMessage<Publish>(p => p.Topic == Topics.QueueDepth && ((QueueDepthChanged)p.Message).Pending == 2);
    }

    [Fact]
    public void Cap_and_duplicates_are_refused_without_a_write()
    {
        var queue = StartQueue(Settings(cap: 1));
        var first = Enqueue(queue, "https://github.com/a/one");

        queue.Tell(new EnqueueTask("https://github.com/a/one", Priority.High, "test"));
        var duplicate = ExpectMsg<IngestRefused>();
        Assert.Equal((IngestRefusal.Duplicate, first.TaskId), (duplicate.Reason, duplicate.ExistingTaskId));

        queue.Tell(new EnqueueTask("https://github.com/a/two", Priority.High, "test"));
        Assert.Equal(IngestRefusal.QueueFull, ExpectMsg<IngestRefused>().Reason);

        queue.Tell(new GetJobs(100));
        Assert.Single(ExpectMsg<JobsPage>().Jobs);
    }

    [Fact]
    public void State_survives_a_restart_with_positions_and_history()
    {
        var settings = Settings(cap: 10, snapshotEvery: 2);
        var queue = StartQueue(settings);
        var accepted = Enumerable.Range(0, 5).Select(i => Enqueue(queue, $"https://github.com/a/r{i}", (Priority)(i % 3))).ToList();
        queue.Tell(new CancelJob(accepted[0].TaskId, "test"));
        Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelJobResult>().Outcome);
        queue.Tell(new GetJobs(100));
        var before = ExpectMsg<JobsPage>().Jobs;

        Watch(queue);
        Sys.Stop(queue);
        ExpectTerminated(queue);

        var restarted = StartQueue(settings);
        restarted.Tell(new GetJobs(100));
        var after = ExpectMsg<JobsPage>().Jobs;
        Assert.Equal(before.Select(j => (j.TaskId, j.Status, j.Timeline.Count)), after.Select(j => (j.TaskId, j.Status, j.Timeline.Count)));

        var next = Enqueue(restarted, "https://github.com/a/next", Priority.Low);
        Assert.Equal(5, next.Position);
    }

    [Fact]
    public async Task Journal_failure_answers_store_unavailable_and_accepts_nothing_then_recovers()
    {
        var queue = StartQueue(Settings());
        Enqueue(queue, "https://github.com/a/kept");

        await Journal.OnWrite.Fail();
        queue.Tell(new EnqueueTask("https://github.com/a/lost", Priority.Normal, "test"));
        var refused = ExpectMsg<IngestRefused>();
        Assert.Equal(IngestRefusal.StoreUnavailable, refused.Reason);
        Assert.NotNull(refused.RetryAfterSeconds);
        // The write failed after it was sent: it may have landed, and the client is not told otherwise.
        Assert.Contains("may have been taken", refused.Detail);

        await Journal.OnWrite.Pass();
        // The backoff supervisor restarts the queue, which replays what the journal holds.
        await AwaitAssertAsync(() =>
        {
            queue.Tell(new GetJobs(100));
            var jobs = ExpectMsg<JobsPage>(TimeSpan.FromMilliseconds(500)).Jobs;
            Assert.Equal(["https://github.com/a/kept"], jobs.Select(j => j.RepoUrl));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        Enqueue(queue, "https://github.com/a/lost");
    }

    [Fact]
    public void Timer_sweep_skips_expired_tasks_and_frees_the_cap()
    {
        var queue = StartQueue(Settings(cap: 1, sweepSeconds: 0.1) with { TaskTtlSeconds = 60 });
        var stale = Enqueue(queue, "https://github.com/a/stale");

        _clock.Advance(TimeSpan.FromSeconds(61));
        AwaitAssert(() =>
        {
            queue.Tell(new GetJob(stale.TaskId));
            var job = ExpectMsg<JobLookup>().Job!;
            Assert.Equal(JobStatus.Skipped, job.Status);
            Assert.Equal(JobReason.TtlExpired, job.Reason);
            Assert.True(job.AgeSeconds >= 61);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, Enqueue(queue, "https://github.com/a/fresh").Position);
    }

    [Fact]
    public void Commands_arriving_together_are_decided_in_order_and_the_cap_holds_across_the_batch()
    {
        var queue = StartQueue(Settings(cap: 3));
        for (var i = 0; i < 10; i++) queue.Tell(new EnqueueTask($"https://github.com/burst/r{i % 8}", Priority.Normal, "test"));

        var answers = Enumerable.Range(0, 10).Select(_ => ExpectMsg<object>()).ToList();
        var accepted = answers.OfType<IngestAccepted>().ToList();
        Assert.Equal(3, accepted.Count);
        Assert.Equal([1, 2, 3], accepted.Select(a => a.Position).Order());
        Assert.Equal(3, accepted.Select(a => a.TaskId).Distinct().Count());
        Assert.All(answers.OfType<IngestRefused>(), r => Assert.True(r.Reason is IngestRefusal.QueueFull or IngestRefusal.Duplicate));
        Assert.Equal(7, answers.OfType<IngestRefused>().Count());

        queue.Tell(new GetJobs(100));
        Assert.Equal(3, ExpectMsg<JobsPage>().Jobs.Count);
    }

    [Fact]
    public async Task A_failed_batch_tells_every_client_store_unavailable_and_keeps_none_of_it()
    {
        var queue = StartQueue(Settings(cap: 10));
        await Journal.OnWrite.Fail();
        for (var i = 0; i < 5; i++) queue.Tell(new EnqueueTask($"https://github.com/fail/r{i}", Priority.Normal, "test"));
        for (var i = 0; i < 5; i++) Assert.Equal(IngestRefusal.StoreUnavailable, ExpectMsg<IngestRefused>().Reason);

        await Journal.OnWrite.Pass();
        await AwaitAssertAsync(() =>
        {
            queue.Tell(new GetJobs(100));
            Assert.Empty(ExpectMsg<JobsPage>(TimeSpan.FromMilliseconds(500)).Jobs);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
    }

    /// <summary>Holds every journal write until <paramref name="gate"/> completes.</summary>
    private sealed class HeldWrites(Task gate) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message) => gate;
    }

    /// <summary>Runs <paramref name="during"/> while a write is held, so that what it sends arrives in one batch.</summary>
    private async Task WhileAWriteIsHeld(IActorRef queue, string repo, Action during)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Journal.OnWrite.SetInterceptorAsync(new HeldWrites(gate.Task));
        queue.Tell(new EnqueueTask(repo, Priority.Normal, "test"));
        during();
        gate.SetResult();
        ExpectMsg<IngestAccepted>();
        await Journal.OnWrite.Pass();
    }

    [Fact]
    public async Task Commands_that_arrive_during_a_write_are_decided_together_each_after_the_ones_before_it()
    {
        var queue = StartQueue(Settings(cap: 10));
        var first = Enqueue(queue, "https://github.com/a/first");
        var second = Enqueue(queue, "https://github.com/a/second");
        var worker = CreateTestProbe();
        worker.Send(queue, new RegisterWorker("w1", "akka.tcp://pharos@edge:1"));
        worker.ExpectMsg<WorkerRegistered>();

        // Two requests in one batch: the second is decided against the lease the first was granted, and ignored.
        await WhileAWriteIsHeld(queue, "https://github.com/a/third", () =>
        {
            worker.Send(queue, new RequestWork("w1"));
            worker.Send(queue, new RequestWork("w1"));
            queue.Tell(new GetJob(second.TaskId));
        });
        worker.ExpectMsg<WorkAvailable>();
        var assigned = worker.ExpectMsg<TaskAssigned>();
        Assert.Equal(first.TaskId, assigned.Task.TaskId);
        Assert.Equal(JobStatus.Queued, ExpectMsg<JobLookup>().Job!.Status);

        // A completion and a request in one batch: the request is decided after the lease ended, and granted.
        await WhileAWriteIsHeld(queue, "https://github.com/a/fourth", () =>
        {
            CreateTestProbe("intake").Send(queue, new RecordResult(first.TaskId, assigned.LeaseId,
                new TaskMetrics("c0ffee", 1, 1, 1, 0.5, new StageSeconds())));
            worker.Send(queue, new RequestWork("w1"));
        });
        // The next message after the first task: the ignored request was never answered.
        Assert.Equal(second.TaskId, worker.ExpectMsg<TaskAssigned>().Task.TaskId);
        queue.Tell(new GetJob(first.TaskId));
        Assert.Equal(JobStatus.Completed, ExpectMsg<JobLookup>().Job!.Status);
    }
}
