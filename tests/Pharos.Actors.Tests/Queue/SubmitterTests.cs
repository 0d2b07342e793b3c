using Akka.Configuration;
using Akka.TestKit.Xunit2;
using FsCheck;
using Pharos.Actors.Ingest;
using Pharos.Messages.Events;
using Pharos.Messages.Queries;
using Config = Akka.Configuration.Config;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// Tenants in the queue: each token's share of the cap (<see cref="EnqueueTask.MaxQueued"/>) is held against the
/// queue's own count of its live pending tasks, and a token cancels only the jobs it submitted unless it may cancel any.
/// </summary>
public sealed class SubmitterTests
{
    private static EnqueueTask Enqueue(string repo, string by, int? share) =>
        new($"https://github.com/o/{repo}", Priority.Normal, by, MaxQueued: share);

    private static object Answer(QueueBatch<int> batch) => Assert.Single(batch.Answers).Message;

    [Fact]
    public void A_token_past_its_share_is_refused_saying_so_and_other_tokens_are_not()
    {
        var queue = new QueueDriver(maxQueueSize: 10);
        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("a", "ci", 2))));
        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("b", "ci", 2))));

        var past = queue.Send(Enqueue("c", "ci", 2));
        var refused = Assert.IsType<IngestRefused>(Answer(past));
        Assert.Equal(IngestRefusal.MaxQueued, refused.Reason);
        Assert.Equal("The token 'ci' has 2 tasks queued, its share of the queue (max_queued 2 of 10); wait until one starts or cancel one.",
            refused.Detail);
        Assert.Empty(past.Events);
        // Token names are compared as they are made unique: ignoring case.
        Assert.Equal(IngestRefusal.MaxQueued, Assert.IsType<IngestRefused>(Answer(queue.Send(Enqueue("c", "CI", 2)))).Reason);

        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("c", "other", 2))));
        // Without a share (the admin token's default) only the cap holds.
        for (var i = 0; i < 7; i++) Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue($"admin{i}", "admin", null))));
        Assert.Equal(IngestRefusal.QueueFull, Assert.IsType<IngestRefused>(Answer(queue.Send(Enqueue("x", "admin", null)))).Reason);
    }

    [Fact]
    public void Only_live_pending_tasks_count_towards_a_share()
    {
        var queue = new QueueDriver(maxQueueSize: 10, ttlSeconds: 60);
        queue.Send(Enqueue("a", "ci", 2));
        queue.Send(Enqueue("b", "ci", 2));

        // A task a worker runs has left the queue: its slot in the share is free.
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);
        queue.Send(new RequestWork("w"), 1);
        Assert.Equal(1, queue.State.LiveCountOf("ci", queue.Now));
        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("c", "ci", 2))));

        // A cancelled one, too.
        Assert.Equal(CancelOutcome.Cancelled, Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("t001", "ci")))).Outcome);
        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("d", "ci", 2))));
        Assert.IsType<IngestRefused>(Answer(queue.Send(Enqueue("e", "ci", 2))));

        // And expired ones, before any sweep has recorded them.
        queue.Now = queue.Now.AddSeconds(61);
        Assert.Equal(0, queue.State.LiveCountOf("ci", queue.Now));
        Assert.IsType<IngestAccepted>(Answer(queue.Send(Enqueue("e", "ci", 2))));
    }

    [Fact]
    public void A_token_cancels_its_own_jobs_and_only_a_token_that_may_cancel_any_cancels_those_of_others()
    {
        var queue = new QueueDriver();
        queue.Send(Enqueue("a", "ci", null));
        queue.Send(Enqueue("b", "ci", null));
        queue.Send(Enqueue("c", "ci", null));

        var refused = queue.Send(new CancelJob("t000", "other"));
        Assert.Equal(new CancelJobResult(CancelOutcome.NotOwner, null), Answer(refused));
        Assert.Empty(refused.Events);
        Assert.Equal(JobStatus.Queued, queue.State.Find("t000")!.Status);

        Assert.Equal(CancelOutcome.Cancelled, Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("t000", "ci")))).Outcome);
        Assert.Equal(CancelOutcome.Cancelled, Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("t001", "Ci")))).Outcome);
        var byAdmin = queue.Send(new CancelJob("t002", "admin", AnyJob: true));
        Assert.Equal(CancelOutcome.Cancelled, Assert.IsType<CancelJobResult>(Answer(byAdmin)).Outcome);
        Assert.Equal("by admin", queue.State.Find("t002")!.Timeline[^1].Detail);

        // Ownership comes before state: another token's finished job is not its to ask about either.
        Assert.Equal(CancelOutcome.NotOwner, Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("t000", "other")))).Outcome);
        Assert.Equal(CancelOutcome.AlreadyFinished,
            Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("t000", "other", AnyJob: true)))).Outcome);
        Assert.Equal(CancelOutcome.NotFound, Assert.IsType<CancelJobResult>(Answer(queue.Send(new CancelJob("nope", "other")))).Outcome);
    }

    [Fact]
    public void A_job_without_a_submitter_is_nobodys_and_only_a_token_that_may_cancel_any_cancels_it()
    {
        var state = new QueueState(10, 100, 3);
        state.Apply(new TaskEnqueued("t", "https://github.com/o/r", Priority.Normal, QueueDriver.Epoch, 60, ""));
        var decider = new QueueDecider<int>(QueueSettings.Default);
        CancelOutcome Cancel(CancelJob cancel) => Assert.IsType<CancelJobResult>(
            decider.Decide(state, new WorkerRegistry<int>(), new Received<int>(cancel, QueueDriver.Client), QueueDriver.Epoch).Reply!(state)).Outcome;

        Assert.Equal(CancelOutcome.NotOwner, Cancel(new CancelJob("t", "")));
        Assert.Equal(CancelOutcome.NotOwner, Cancel(new CancelJob("t", "ci")));
        Assert.Equal(CancelOutcome.Cancelled, Cancel(new CancelJob("t", "admin", AnyJob: true)));
    }

    [Fact]
    public void The_queue_checks_the_url_rules_again_whoever_sent_the_task()
    {
        var state = new QueueState(10, 100, 3);
        var decider = new QueueDecider<int>(QueueSettings.Default, urls: new RepoUrlSyntax(RepoUrlPolicy.Default));
        object Enqueue(string url) => decider.DecideBatch(state, new WorkerRegistry<int>(),
            [new Received<int>(new EnqueueTask(url, Priority.Normal, "ci"), QueueDriver.Client)], QueueDriver.Epoch).Answers.Single().Message;

        Assert.IsType<IngestAccepted>(Enqueue("https://github.com/owner/repo"));
        foreach (var url in new[] { "http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "ext::sh -c id", "https://github.com/Owner/Repo.git" })
        {
            var refused = Assert.IsType<IngestRefused>(Enqueue(url));
            Assert.Equal(IngestRefusal.InvalidRequest, refused.Reason);
            Assert.Contains(url, refused.Detail);
        }
        Assert.Contains("its normal form is https://github.com/owner/repo",
            Assert.IsType<IngestRefused>(Enqueue("https://github.com/Owner/Repo.git")).Detail);
    }

    private enum Op { Enqueue, Lease, Cancel, WorkerLost, Later, Sweep }

    private static readonly string[] Submitters = ["ci", "CI", "bot", "admin"];

    /// <summary>
    /// Whatever happens to the queue (submissions, leases, cancels, lost workers that requeue, time passing, sweeps),
    /// each submitter's count is its live pending tasks, before and after a restore from the snapshot.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property Each_submitters_count_is_its_live_pending_tasks_before_and_after_a_restore() =>
        Prop.ForAll(
            Gen.ArrayOf(
                    from op in Gen.Elements(Enum.GetValues<Op>())
                    from pick in Gen.Choose(0, 1_000)
                    select (op, pick))
                .Where(steps => steps.Length <= 60).ToArbitrary(),
            steps =>
            {
                var queue = new QueueDriver(maxQueueSize: 1_000, ttlSeconds: 100);
                var worker = 1;
                foreach (var (op, pick) in steps)
                {
                    switch (op)
                    {
                        case Op.Enqueue:
                            queue.Send(Enqueue($"r{queue.TasksIssued}", Submitters[pick % Submitters.Length], null));
                            break;
                        case Op.Lease:
                            queue.Send(new RegisterWorker($"w{worker}", QueueDriver.Address(worker)), worker);
                            queue.Send(new RequestWork($"w{worker}"), worker);
                            worker++;
                            break;
                        case Op.Cancel when queue.TasksIssued > 0:
                            queue.Send(new CancelJob($"t{pick % queue.TasksIssued:D3}", "", AnyJob: true));
                            break;
                        case Op.WorkerLost when worker > 1:
                            queue.Send(new WorkerGone<int>(1 + pick % (worker - 1)));
                            break;
                        case Op.Later:
                            queue.Now = queue.Now.AddSeconds(pick % 60);
                            break;
                        case Op.Sweep:
                            queue.Send(SweepExpired.Instance);
                            break;
                    }
                }

                var restored = new QueueState(queue.State.MaxQueueSize, queue.State.HistorySize, queue.State.MaxAttempts);
                restored.Restore(queue.State.ToSnapshot());
                var wrong = Submitters.Select(s => (s, Expected: queue.State.Pending.Count(j =>
                        QueueState.Submitters.Equals(j.RequestedBy, s) && !QueueState.IsExpired(j, queue.Now)),
                    Counted: queue.State.LiveCountOf(s, queue.Now), Restored: restored.LiveCountOf(s, queue.Now)))
                    .Where(c => c.Counted != c.Expected || c.Restored != c.Expected)
                    .ToList();
                return (wrong.Count == 0).Label(string.Join("; ", wrong));
            });
}

/// <summary>The per-submitter count is the queue's own: rebuilt from the journal (and from a snapshot) after a restart.</summary>
public sealed class SubmitterRecoveryTests : TestKit
{
    private static readonly Config JournalConfig = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero));

    public SubmitterRecoveryTests() : base(JournalConfig)
    {
    }

    private object Submit(IActorRef queue, string repo, string by, int share = 2)
    {
        queue.Tell(new EnqueueTask($"https://github.com/o/{repo}", Priority.Normal, by, MaxQueued: share), TestActor);
        return ExpectMsg<object>(m => m is IngestAccepted or IngestRefused);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(1)]
    public void A_tokens_share_holds_across_a_restart_of_the_queue(int snapshotEvery)
    {
        var settings = QueueSettings.Default with { MaxQueueSize = 10, SnapshotEvery = snapshotEvery };
        var first = Sys.ActorOf(QueueActor.Props(settings, _clock, CreateTestProbe().Ref));
        var own = Assert.IsType<IngestAccepted>(Submit(first, "a", "ci")).TaskId;
        Assert.IsType<IngestAccepted>(Submit(first, "b", "ci"));
        Assert.IsType<IngestAccepted>(Submit(first, "c", "bot"));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);

        var queue = Sys.ActorOf(QueueActor.Props(settings, _clock, CreateTestProbe().Ref));
        var refused = Assert.IsType<IngestRefused>(Submit(queue, "d", "ci"));
        Assert.Equal(IngestRefusal.MaxQueued, refused.Reason);
        Assert.Contains("has 2 tasks queued", refused.Detail);
        Assert.IsType<IngestAccepted>(Submit(queue, "d", "bot"));

        // The submitter is recovered too: another token may not cancel ci's task, ci may.
        queue.Tell(new CancelJob(own, "bot"), TestActor);
        Assert.Equal(CancelOutcome.NotOwner, ExpectMsg<CancelJobResult>().Outcome);
        queue.Tell(new CancelJob(own, "ci"), TestActor);
        Assert.Equal(CancelOutcome.Cancelled, ExpectMsg<CancelJobResult>().Outcome);
        Assert.IsType<IngestAccepted>(Submit(queue, "e", "ci"));

        queue.Tell(new GetJob(own), TestActor);
        Assert.Equal(JobStatus.Cancelled, ExpectMsg<JobLookup>().Job!.Status);
    }
}
