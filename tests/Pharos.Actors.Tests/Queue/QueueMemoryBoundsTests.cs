using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Pharos.Messages.Queries;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// What the queue keeps in memory stays bounded however much passes through it (docs/storage.md): finished jobs by
/// the history size, a job's timeline by its attempts and stages, and the workers it knows by those connected.
/// A real QueueActor on the in-memory journal.
/// </summary>
public sealed class QueueMemoryBoundsTests : TestKit
{
    private static readonly Config JournalConfig = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """);

    public QueueMemoryBoundsTests() : base(JournalConfig)
    {
    }

    private IActorRef StartQueue(QueueSettings settings) =>
        Sys.ActorOf(QueueActor.Props(settings, TimeProvider.System, CreateTestProbe().Ref));

    private List<JobRecord> AllJobs(IActorRef queue)
    {
        queue.Tell(new GetJobs(int.MaxValue), TestActor);
        return [.. ExpectMsg<JobsPage>().Jobs];
    }

    private JobRecord Job(IActorRef queue, string taskId)
    {
        queue.Tell(new GetJob(taskId), TestActor);
        return ExpectMsg<JobLookup>().Job!;
    }

    [Fact]
    public void Ten_times_the_history_size_of_finished_jobs_leaves_the_history_size_held()
    {
        const int history = 5;
        var queue = StartQueue(QueueSettings.Default with { HistorySize = history });
        for (var i = 0; i < 10 * history; i++)
        {
            queue.Tell(new EnqueueTask($"https://github.com/bounds/r{i}", Priority.Normal, "test"), TestActor);
            var accepted = ExpectMsg<IngestAccepted>();
            queue.Tell(new CancelJob(accepted.TaskId, "test"), TestActor);
            Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelJobResult>().Outcome);
            Assert.True(AllJobs(queue).Count <= history);
        }
        // The newest are the ones kept.
        Assert.Equal(Enumerable.Range(10 * history - history, history).Reverse().Select(i => $"https://github.com/bounds/r{i}"),
            AllJobs(queue).Select(j => j.RepoUrl));
    }

    [Fact]
    public void A_worker_reporting_stages_back_and_forth_on_every_attempt_leaves_a_timeline_within_its_bound()
    {
        var settings = QueueSettings.Default;
        var bound = QueueState.MaxTimelineEntries(settings.MaxAttempts);
        var queue = StartQueue(settings);
        queue.Tell(new EnqueueTask("https://github.com/bounds/timeline", Priority.Normal, "test"), TestActor);
        var taskId = ExpectMsg<IngestAccepted>().TaskId;

        for (var attempt = 1; attempt <= settings.MaxAttempts; attempt++)
        {
            var worker = CreateTestProbe();
            worker.Send(queue, new RegisterWorker($"edge-{attempt}", "akka.tcp://pharos@edge:1"));
            worker.ExpectMsg<WorkerRegistered>();
            worker.Send(queue, new RequestWork($"edge-{attempt}"));
            var leaseId = worker.FishForMessage<TaskAssigned>(_ => true).LeaseId;

            // Ten times the bound of reports, each stage in turn and back again.
            for (var i = 0; i < 10 * bound; i++)
            {
                var stage = (JobStage)(i % 2 == 0 ? i / 2 % Enum.GetValues<JobStage>().Length : 0);
                worker.Send(queue, new ReportProgress(taskId, leaseId, stage, 0.5, "working"));
            }
            worker.Send(queue, new ReportProgress(taskId, leaseId, JobStage.Uploading, 1, "uploading"));
            AwaitAssert(() => Assert.Equal(JobStage.Uploading, Job(queue, taskId).Stage), TimeSpan.FromSeconds(10));
            Assert.True(Job(queue, taskId).Timeline.Count <= bound, $"{Job(queue, taskId).Timeline.Count} entries, bound {bound}");

            // The worker goes away: the task is requeued, or fails once it has had its attempts.
            Watch(worker.Ref);
            Sys.Stop(worker.Ref);
            ExpectTerminated(worker.Ref);
            var expected = attempt < settings.MaxAttempts ? JobStatus.Queued : JobStatus.Failed;
            AwaitAssert(() => Assert.Equal(expected, Job(queue, taskId).Status), TimeSpan.FromSeconds(10));
        }

        var timeline = Job(queue, taskId).Timeline;
        Assert.True(timeline.Count <= bound, $"{timeline.Count} entries, bound {bound}");
        // Each attempt's stages are all there, once each.
        Assert.Equal(settings.MaxAttempts * Enum.GetValues<JobStage>().Length,
            timeline.Count(e => e.Status == JobStatus.Running && Enum.TryParse<JobStage>(e.Detail, true, out _)));
    }

    [Fact]
    public void Ten_generations_of_workers_that_came_and_went_leave_only_the_connected_ones_known()
    {
        // The registry as QueueActor drives it: a worker registers, runs a lease, and is disconnected when it terminates.
        const int connected = 10;
        var registry = new WorkerRegistry<int>();
        for (var worker = 0; worker < 10 * connected; worker++)
        {
            registry.Register(worker, $"edge-{worker}", $"akka.tcp://pharos@edge-{worker}:1");
            registry.Apply(new LeaseGranted<int>(worker, $"task-{worker}", $"lease-{worker}"));
            registry.Apply(new LeaseEnded<int>($"task-{worker}", $"lease-{worker}"));
            if (worker >= connected) registry.Disconnect(worker - connected);
            Assert.InRange(registry.Count, 1, connected + 1);
            Assert.True(registry.Holders.Count <= 1);
        }
    }
}

