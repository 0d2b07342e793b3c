using Akka.TestKit;

namespace Pharos.Hosting.Tests;

/// <summary>
/// The proof both wiring tests give that a worker is wired to the queue: a task submitted to the queue is taken by
/// that worker, seen in its status. Only a worker the queue registered is ever given one.
/// </summary>
public sealed class WorkerTakesTask
{
    private readonly TestKitBase _kit;
    private readonly TestProbe _statuses;
    private readonly TimeSpan _deadline;
    private readonly CancellationToken _cancel;

    private WorkerTakesTask(TestKitBase kit, TestProbe statuses, TimeSpan deadline, CancellationToken cancel) =>
        (_kit, _statuses, _deadline, _cancel) = (kit, statuses, deadline, cancel);

    /// <summary>Listens to every worker's status from now on (before anything is submitted, so nothing is missed).</summary>
    public static async Task<WorkerTakesTask> ListenAsync(TestKitBase kit, TimeSpan deadline, CancellationToken cancel)
    {
        var statuses = kit.CreateTestProbe();
        DistributedPubSub.Get(kit.Sys).Mediator.Tell(new Subscribe(Topics.WorkerStatus, statuses.Ref), statuses.Ref);
        await statuses.ExpectMsgAsync<SubscribeAck>(deadline, cancellationToken: cancel);
        return new WorkerTakesTask(kit, statuses, deadline, cancel);
    }

    /// <summary>Submits <paramref name="repoUrl"/> through <paramref name="queue"/> and waits for worker
    /// <paramref name="workerId"/> to report the task.</summary>
    public async Task SubmitAndAwaitAsync(IActorRef queue, string repoUrl, string workerId)
    {
        queue.Tell(new EnqueueTask(repoUrl, Priority.Normal, "wiring-test"), _kit.TestActor);
        // Any answer, so that a refusal fails the test with its reason.
        var accepted = Assert.IsType<IngestAccepted>(await _kit.ExpectMsgAsync<object>(_deadline, cancellationToken: _cancel));
        await _statuses.FishForMessageAsync<WorkerStatusChanged>(
            s => s.WorkerId == workerId && s.TaskId == accepted.TaskId, _deadline, cancellationToken: _cancel);
    }
}
