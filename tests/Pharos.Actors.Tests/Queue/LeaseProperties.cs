using System.Text.Json;
using FsCheck;
using Pharos.Messages.Events;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// The lease contract stated over <see cref="QueueState"/> and <see cref="QueueDecider{TRef}"/>: random interleavings
/// of submissions, requests for work, reports under current and stale leases, lost workers and cancellations, checked
/// after every step.
/// </summary>
public sealed class LeaseProperties
{
    private static readonly DateTimeOffset Epoch = QueueDriver.Epoch;
    private const int MaxAttempts = 3;

    /// <summary>The cloud's result intake, as a sender: not a worker.</summary>
    private const int Intake = 99;

    private static readonly TaskMetrics Metrics = new("abc", 1, 1, 1, 0.5, new Pharos.Messages.Status.StageSeconds(), Dims: 8);

    private enum Op { Enqueue, Request, Progress, Complete, Fail, StaleReport, Lose, Cancel }

    private sealed record Step(Op Op, int Worker, int Pick, JobStage Stage);

    private static Arbitrary<Step[]> Steps() =>
        Gen.ArrayOf(
                from op in Gen.Elements(Enum.GetValues<Op>())
                from worker in Gen.Choose(0, 2)
                from pick in Gen.Choose(0, 50)
                from stage in Gen.Elements(JobStage.Cloning, JobStage.Parsing, JobStage.Training, JobStage.Storing)
                select new Step(op, worker, pick, stage))
            .Where(steps => steps.Length <= 60)
            .ToArbitrary();

    /// <summary>Runs the steps as QueueActor would (decide, then apply), checking the invariants after each.</summary>
    private static string? Run(Step[] steps, Func<QueueState, string?> check)
    {
        var queue = new QueueDriver(maxAttempts: MaxAttempts);
        var state = queue.State;
        var submitted = 0;
        var staleLeases = new List<(string TaskId, string LeaseId)>();
        var lapsed = new HashSet<(string TaskId, string LeaseId)>();
        foreach (var step in steps)
        {
            queue.Now = queue.Now.AddSeconds(1);
            var worker = $"w{step.Worker}";
            var held = state.Leases.Where(l => l.WorkerId == worker).ToList();
            // Every lease that ends becomes stale: reports under it must be ignored from now on.
            var before = state.Leases.ToList();
            switch (step.Op)
            {
                case Op.Enqueue:
                    queue.Send(new EnqueueTask($"https://github.com/o/r{submitted++}", Priority.Normal, "t"));
                    break;
                case Op.Request when held.Count == 0:
                    queue.Send(new RequestWork(worker), step.Worker);
                    break;
                case Op.Progress or Op.Complete or Op.Fail when held.Count > 0:
                    var lease = held[0];
                    // A task completes when the cloud's intake records its result; the worker reports the rest.
                    if (step.Op == Op.Complete)
                    {
                        queue.Send(new RecordResult(lease.TaskId, lease.LeaseId, Metrics), Intake);
                        break;
                    }
                    IWorkerReport report = step.Op == Op.Progress
                        ? new ReportProgress(lease.TaskId, lease.LeaseId, step.Stage, 0.5, "x")
                        : new ReportFailed(lease.TaskId, lease.LeaseId, JobReason.CloneFailed, "gone");
                    queue.Send(report, step.Worker);
                    break;
                case Op.StaleReport when staleLeases.Count > 0:
                    var (taskId, leaseId) = staleLeases[step.Pick % staleLeases.Count];
                    var stale = queue.Send(new ReportFailed(taskId, leaseId, JobReason.TrainingFailed, "late"), step.Worker);
                    if (stale.Events.Count > 0 || stale.Answers.Single().Message is not StopTask { Reason: LeaseEndReason.LeaseExpired })
                        return $"a report under stale lease {leaseId} of {taskId} was taken";
                    // A result under it completes the task only while the task waits in the queue after losing that
                    // lease (the edge delivers from its outbox); a completed task needs nothing; anything else drops it.
                    var job = state.Find(taskId);
                    var wanted = job is { Status: JobStatus.Queued } && lapsed.Contains((taskId, leaseId));
                    var delivered = queue.Send(new RecordResult(taskId, leaseId, Metrics), Intake);
                    var verdict = Assert.IsType<DeliveryVerdict>(delivered.Answers.Single().Message).Outcome;
                    var expected = wanted ? DeliveryOutcome.Wanted
                        : job is { Status: JobStatus.Completed } ? DeliveryOutcome.AlreadyCompleted : DeliveryOutcome.LeaseLost;
                    if (verdict != expected || delivered.Events.Count != (wanted ? 1 : 0))
                        return $"a result under stale lease {leaseId} of {taskId} ({job?.Status.ToName()}) was {verdict.ToName()}, " +
                               $"with {delivered.Events.Count} events";
                    break;
                case Op.Lose when held.Count > 0:
                    queue.Send(new WorkerGone<int>(step.Worker));
                    break;
                case Op.Cancel when submitted > 0:
                    queue.Send(new CancelJob($"t{step.Pick % submitted:D3}", "t"));
                    break;
            }
            var ended = before.Where(l => state.CurrentLease(l.TaskId, l.LeaseId) is null).Select(l => (l.TaskId, l.LeaseId)).ToList();
            staleLeases.AddRange(ended);
            // A lease that ended with its task back in the queue lapsed: a result may still come under it.
            foreach (var (taskId, leaseId) in ended)
                if (state.Find(taskId) is { Status: JobStatus.Queued }) lapsed.Add((taskId, leaseId));
            if (check(state) is { } broken) return $"after {step}: {broken}";
        }
        return null;
    }

    [Property(MaxTest = 300)]
    public Property Every_task_is_in_exactly_one_place_and_leases_are_exclusive() =>
        Prop.ForAll(Steps(), steps => Verdict(Run(steps, state =>
        {
            var jobs = state.Jobs(1_000, null);
            var pending = state.Pending.Select(j => j.TaskId).ToHashSet();
            var leased = state.Leases.Select(l => l.TaskId).ToList();
            if (leased.Count != leased.Distinct().Count()) return "a task holds two leases";
            if (state.Leases.GroupBy(l => l.WorkerId).Any(g => g.Count() > 1)) return "a worker holds two leases";
            foreach (var job in jobs)
            {
                var places = (pending.Contains(job.TaskId) ? 1 : 0) + (leased.Contains(job.TaskId) ? 1 : 0) + (job.IsFinal ? 1 : 0);
                if (places != 1) return $"{job.TaskId} ({job.Status.ToName()}) is in {places} places";
                if (leased.Contains(job.TaskId) != (job.Status == JobStatus.Running))
                    return $"{job.TaskId} is {job.Status.ToName()} with lease {leased.Contains(job.TaskId)}";
                if (job.Attempts > MaxAttempts) return $"{job.TaskId} had {job.Attempts} attempts";
            }
            return state.Depth().InFlight == leased.Count && state.Depth().Pending == pending.Count ? null : "the depth disagrees";
        })));

    private static Property Verdict(string? broken) => (broken is null).ToProperty().Label(broken ?? "ok");

    [Property(MaxTest = 300)]
    public Property A_lost_lease_requeues_its_task_first_until_the_attempts_run_out() =>
        Prop.ForAll(Gen.Choose(1, MaxAttempts + 1).ToArbitrary(), Gen.Choose(0, 4).ToArbitrary(), (losses, others) =>
        {
            var queue = new QueueDriver(100, 100, MaxAttempts);
            var state = queue.State;
            var now = queue.Now;
            state.Apply(new TaskEnqueued("lost", "https://github.com/o/lost", Priority.Normal, now, 86_400, "t"));
            for (var i = 0; i < others; i++)
                state.Apply(new TaskEnqueued($"other{i}", $"https://github.com/o/{i}", Priority.Normal, now, 86_400, "t"));
            for (var attempt = 1; attempt <= losses && !state.Find("lost")!.IsFinal; attempt++)
            {
                queue.Now = queue.Now.AddSeconds(1);
                // The requeued task is first in line again, so the next request takes it.
                var leased = queue.Send(new RequestWork("w"), 0).Events.OfType<TaskLeased>().Single();
                if (leased.TaskId != "lost" || leased.Attempt != attempt) return false;
                queue.Send(new WorkerGone<int>(0));
            }
            var job = state.Find("lost")!;
            var requeues = job.Timeline.Count(t => t.Status == JobStatus.Requeued);
            return losses < MaxAttempts
                ? job.Status == JobStatus.Queued && requeues == losses && state.PositionOf("lost") == 1
                : job.Status == JobStatus.Failed && job.Reason == JobReason.WorkerLost && job.Attempts == MaxAttempts
                  && requeues == MaxAttempts - 1;
        });

    [Property(MaxTest = 200)]
    public Property Snapshot_with_running_tasks_restores_the_same_state() =>
        Prop.ForAll(Steps(), steps =>
        {
            string? mismatch = null;
            var broken = Run(steps, state =>
            {
                var restored = new QueueState(1_000, 1_000, MaxAttempts);
                restored.Restore(state.ToSnapshot());
                var a = JsonSerializer.Serialize(state.ToSnapshot(), PharosJson.Options);
                var b = JsonSerializer.Serialize(restored.ToSnapshot(), PharosJson.Options);
                if (a != b) mismatch = "snapshot of the restored state differs";
                else if (restored.InFlightCount != state.InFlightCount || restored.PendingCount != state.PendingCount)
                    mismatch = "counts differ";
                return mismatch;
            });
            return Verdict(broken);
        });

    [Fact]
    public void Progress_is_persisted_on_stage_changes_only()
    {
        var queue = new QueueDriver(10, 10);
        var state = queue.State;
        state.Apply(new TaskEnqueued("t", "https://github.com/o/r", Priority.Normal, Epoch, 86_400, "x"));
        var leaseId = queue.Send(new RequestWork("w"), 0).Events.OfType<TaskLeased>().Single().LeaseId;

        Assert.IsType<TaskProgressed>(Assert.Single(
            queue.Send(new ReportProgress("t", leaseId, JobStage.Cloning, 0.1, "Cloning... 10%"), 0).Events));
        Assert.Empty(queue.Send(new ReportProgress("t", leaseId, JobStage.Cloning, 0.9, "Cloning... 90%"), 0).Events);
        // Deciding changes nothing: the stage stays until the event is applied.
        Assert.IsType<TaskProgressed>(Assert.Single(
            queue.Decide(new ReportProgress("t", leaseId, JobStage.Training, 0, "Training..."), 0).Events));
        Assert.Equal(JobStage.Cloning, state.Find("t")!.Stage);
    }

    [Fact]
    public void Expired_tasks_are_skipped_at_dispatch_and_never_leased()
    {
        var queue = new QueueDriver(10, 10);
        queue.State.Apply(new TaskEnqueued("old", "https://github.com/o/old", Priority.High, Epoch, 60, "x"));
        queue.State.Apply(new TaskEnqueued("new", "https://github.com/o/new", Priority.Low, Epoch.AddSeconds(50), 86_400, "x"));
        queue.Workers.Connect(0, "w", QueueDriver.Address(0));
        queue.Now = Epoch.AddSeconds(61);

        var events = queue.Decide(new RequestWork("w"), 0).Events;

        Assert.Collection(events,
            e => Assert.Equal("old", Assert.IsType<TaskSkipped>(e).TaskId),
            e => Assert.Equal("new", Assert.IsType<TaskLeased>(e).TaskId));
    }
}
