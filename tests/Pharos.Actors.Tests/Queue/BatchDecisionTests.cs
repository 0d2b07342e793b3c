using Pharos.Messages.Events;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// Commands decided in one group commit: each sees the events and the registry effects of those before it, while
/// the registry itself changes only when the batch commits.
/// </summary>
public sealed class BatchDecisionTests
{
    private static readonly TaskMetrics Metrics = new("c0ffee", 1, 1, 1, 0.5, new StageSeconds());

    private static QueueDriver QueueWith(params string[] repos)
    {
        var queue = new QueueDriver();
        foreach (var repo in repos) queue.Send(new EnqueueTask($"https://github.com/o/{repo}", Priority.Normal, "t"));
        return queue;
    }

    private static (object, int) From(int worker, object message) => (message, worker);

    private static List<object> SentTo(QueueDriver queue, int worker) =>
        queue.Sent.Where(s => s.To == worker && s.Message is not WorkerRegistered).Select(s => s.Message).ToList();

    [Fact]
    public void A_second_request_after_a_granted_one_in_the_same_batch_is_ignored()
    {
        var queue = QueueWith("a", "b");
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);

        var batch = queue.Batch(From(1, new RequestWork("w")), From(1, new RequestWork("w")));

        Assert.Single(batch.Events.OfType<TaskLeased>());
        var assigned = Assert.IsType<TaskAssigned>(Assert.Single(SentTo(queue, 1)));
        Assert.Equal(("t000", "l0"), (assigned.Task.TaskId, assigned.LeaseId));
        Assert.Equal(["l0"], queue.Workers.LeasesOf(1));
        Assert.Equal(JobStatus.Queued, queue.State.Find("t001")!.Status);
    }

    [Fact]
    public void A_restarted_worker_that_registers_and_asks_in_one_batch_gets_its_lost_task_again()
    {
        var queue = QueueWith("a", "b");
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);
        queue.Send(new RequestWork("w"), 1);

        // The process restarted: a new reference with the same worker id, running nothing.
        queue.Batch(From(2, new RegisterWorker("w", QueueDriver.Address(2))), From(2, new RequestWork("w")));

        Assert.Equal(new StopTask("t000", "l0", LeaseEndReason.WorkerRestarted), SentTo(queue, 1)[^1]);
        // Requeued first in line by the registration, then leased by the request decided after it.
        var assigned = Assert.IsType<TaskAssigned>(Assert.Single(SentTo(queue, 2)));
        Assert.Equal(("t000", 2, "l1"), (assigned.Task.TaskId, assigned.Task.Attempt, assigned.LeaseId));
        Assert.Equal(new Dictionary<string, int> { ["l1"] = 2 }, queue.Workers.Holders);
    }

    [Fact]
    public void A_worker_that_completes_and_asks_in_one_batch_gets_the_next_task()
    {
        var queue = QueueWith("a", "b");
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);
        queue.Send(new RequestWork("w"), 1);

        queue.Batch(From(QueueDriver.Client, new RecordResult("t000", "l0", Metrics)), From(1, new RequestWork("w")));

        Assert.Equal(JobStatus.Completed, queue.State.Find("t000")!.Status);
        Assert.Equal("t001", Assert.IsType<TaskAssigned>(SentTo(queue, 1)[^1]).Task.TaskId);
        Assert.Equal(["l1"], queue.Workers.LeasesOf(1));
    }

    [Fact]
    public void A_task_cancelled_in_the_batch_that_leased_it_stops_its_new_worker()
    {
        var queue = QueueWith("a");
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);

        queue.Batch(From(1, new RequestWork("w")), (new CancelJob("t000", "admin", AnyJob: true), QueueDriver.Client));

        Assert.Collection(SentTo(queue, 1),
            m => Assert.Equal("l0", Assert.IsType<TaskAssigned>(m).LeaseId),
            m => Assert.Equal(new StopTask("t000", "l0", LeaseEndReason.Cancelled), m));
        Assert.Empty(queue.Workers.Holders);
        Assert.False(queue.Workers.Find(1)!.Idle);
    }

    [Fact]
    public void Deciding_a_batch_changes_the_state_but_not_the_registry_until_it_commits()
    {
        var queue = QueueWith("a");
        queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);

        var batch = queue.Decider.DecideBatch(queue.State, queue.Workers, [new Received<int>(new RequestWork("w"), 1)], queue.Now);

        Assert.Equal(JobStatus.Running, queue.State.Find("t000")!.Status);
        Assert.Empty(queue.Workers.Holders);
        Assert.Equal(new LeaseGranted<int>(1, "t000", "l0"), Assert.Single(batch.Effects));
        Assert.True(queue.Workers.Find(1)!.Idle);

        Assert.Empty(queue.Workers.Commit(batch, queue.State));
        Assert.Equal(["l0"], queue.Workers.LeasesOf(1));
        Assert.False(queue.Workers.Find(1)!.Idle);
    }

    [Fact]
    public void Work_added_in_a_batch_is_offered_once_to_each_idle_worker_when_it_commits()
    {
        var queue = new QueueDriver();
        foreach (var worker in new[] { 1, 2 })
        {
            queue.Send(new RegisterWorker($"w{worker}", QueueDriver.Address(worker)), worker);
            queue.Send(new RequestWork($"w{worker}"), worker);
        }

        queue.Batch((new EnqueueTask("https://github.com/o/a", Priority.Normal, "t"), QueueDriver.Client),
            (new EnqueueTask("https://github.com/o/b", Priority.Normal, "t"), QueueDriver.Client));
        queue.Send(new EnqueueTask("https://github.com/o/c", Priority.Normal, "t"));

        Assert.All(new[] { 1, 2 }, worker =>
            Assert.Equal([NoWorkAvailable.Instance, WorkAvailable.Instance], SentTo(queue, worker)));
    }
}
