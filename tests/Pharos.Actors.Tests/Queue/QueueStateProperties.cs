using FsCheck;
using Pharos.Messages.Events;

namespace Pharos.Actors.Tests.Queue;

/// <summary>The queue's contract stated as properties over <see cref="QueueState"/>.</summary>
public sealed class QueueStateProperties
{
    private static readonly DateTimeOffset Epoch = QueueDriver.Epoch;

    /// <summary>What <paramref name="command"/> comes to against <paramref name="state"/>; a new task is <c>taskId</c>.</summary>
    private static Decision<int> Decide(QueueState state, object command, DateTimeOffset now, string taskId = "new") =>
        new QueueDecider<int>(QueueSettings.Default with { MaxQueueSize = state.MaxQueueSize, HistorySize = state.HistorySize },
                () => taskId)
            .Decide(state, new WorkerRegistry<int>(), new Received<int>(command, QueueDriver.Client), now);

    /// <summary>The refusal a decision answers with (an acceptance's answer is read once its events are applied).</summary>
    private static IngestRefused? Refusal(QueueState state, Decision<int> decision) => decision.Reply?.Invoke(state) as IngestRefused;

    private static QueueState StateWith(IEnumerable<(int SubmittedSecond, int Ttl, Priority Priority)> tasks, int cap = 10_000, int history = 100)
    {
        var state = new QueueState(cap, history, QueueSettings.Default.MaxAttempts);
        var i = 0;
        foreach (var (second, ttl, priority) in tasks)
        {
            state.Apply(new TaskEnqueued($"t{i:D5}", $"https://github.com/o/r{i}", priority, Epoch.AddSeconds(second), ttl, "test"));
            i++;
        }
        return state;
    }

    private static Arbitrary<(int, int, Priority)[]> Tasks(int maxCount = 30) =>
        Gen.ArrayOf(
                from second in Gen.Choose(0, 200_000)
                from ttl in Gen.Choose(1, 100_000)
                from priority in Gen.Elements(Priority.Low, Priority.Normal, Priority.High)
                select (second, ttl, priority))
            .Where(a => a.Length <= maxCount)
            .ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Sweep_marks_exactly_the_expired_tasks_and_the_cap_counts_only_live_ones() =>
        Prop.ForAll(Tasks(), Gen.Choose(0, 400_000).ToArbitrary(), (tasks, nowSecond) =>
        {
            var now = Epoch.AddSeconds(nowSecond);
            var state = StateWith(tasks);
            var expected = tasks.Select((t, i) => (Id: $"t{i:D5}", Expired: nowSecond - t.Item1 > t.Item2)).ToList();

            var swept = state.Sweep(now).Select(s => s.TaskId).ToHashSet();
            var exactlyExpired = swept.SetEquals(expected.Where(e => e.Expired).Select(e => e.Id));
            var liveCount = state.LiveCount(now) == expected.Count(e => !e.Expired);
            // What the gateway reads off the published depth never claims "full" for a queue with a free slot.
            var published = state.Depth() with { Max = Math.Max(1, expected.Count(e => !e.Expired)) };
            var depthAgrees = state.Depth().Pending == tasks.Length
                              && (!published.IsFull(now) || state.LiveCount(now) >= published.Max)
                              && (expected.Any(e => e.Expired) || published.IsFull(now) == (state.LiveCount(now) >= published.Max));
            return exactlyExpired && liveCount && depthAgrees;
        });

    [Property(MaxTest = 200)]
    public Property Skipped_records_carry_reason_age_and_ttl() =>
        Prop.ForAll(Tasks(), Gen.Choose(0, 400_000).ToArbitrary(), (tasks, nowSecond) =>
        {
            var now = Epoch.AddSeconds(nowSecond);
            var state = StateWith(tasks);
            foreach (var skipped in state.Sweep(now)) state.Apply(skipped);
            return state.Jobs(100, JobStatus.Skipped).All(job =>
                job.Reason == JobReason.TtlExpired && job.AgeSeconds > job.Ttl && job.FinishedAt == now);
        });

    /// <summary>Property 16: a queue holding at least its cap of live tasks refuses any valid request with nothing to persist.</summary>
    [Property(MaxTest = 200)]
    public Property Full_queue_refuses_every_request_and_persists_nothing() =>
        Prop.ForAll(Gen.Choose(1, 20).ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(),
            Gen.Elements(Priority.Low, Priority.Normal, Priority.High).ToArbitrary(), (cap, extra, priority) =>
        {
            var live = Enumerable.Range(0, cap + extra).Select(_ => (0, 86_400, Priority.Normal));
            var state = StateWith(live, cap);
            var decision = Decide(state, new EnqueueTask("https://github.com/new/repo", priority, "test"), Epoch.AddSeconds(10));
            var refusal = Refusal(state, decision);
            return refusal?.Reason == IngestRefusal.QueueFull && decision.Events.Count == 0
                   && refusal.RetryAfterSeconds is >= 1 and <= 60;
        });

    /// <summary>The zombie queue: stale tasks never lock users out.</summary>
    [Property(MaxTest = 100)]
    public Property Queue_full_of_stale_tasks_accepts_and_sweeps_them_first() =>
        Prop.ForAll(Gen.Choose(1, 15).ToArbitrary(), cap =>
        {
            var state = StateWith(Enumerable.Range(0, cap).Select(_ => (0, 60, Priority.High)), cap);
            var decision = Decide(state, new EnqueueTask("https://github.com/new/repo", Priority.Low, "test"), Epoch.AddSeconds(61));
            foreach (var e in decision.Events) state.Apply(e);
            return Refusal(state, decision) is null
                   && decision.Events.Count == cap + 1
                   && decision.Events.Take(cap).All(e => e is TaskSkipped)
                   && decision.Events[^1] is TaskEnqueued
                   && state.PendingCount == 1 && state.PositionOf("new") == 1;
        });

    [Property(MaxTest = 200)]
    public Property Dispatch_order_is_priority_first_then_fifo() =>
        Prop.ForAll(Tasks(), tasks =>
        {
            var state = StateWith(tasks.Select((t, i) => (i, 1_000_000, t.Item3)));
            var order = state.Pending.ToList();
            var expected = order.OrderByDescending(j => j.Priority).ThenBy(j => j.SubmittedAt).Select(j => j.TaskId);
            return order.Select(j => j.TaskId).SequenceEqual(expected)
                   && order.Select((j, i) => state.PositionOf(j.TaskId) == i + 1).All(ok => ok);
        });

    [Property(MaxTest = 100)]
    public Property Snapshot_restores_the_same_queue_and_history() =>
        Prop.ForAll(Tasks(), Gen.Choose(0, 400_000).ToArbitrary(), (tasks, nowSecond) =>
        {
            var state = StateWith(tasks, history: 7);
            foreach (var skipped in state.Sweep(Epoch.AddSeconds(nowSecond))) state.Apply(skipped);
            var restored = new QueueState(10_000, 7, QueueSettings.Default.MaxAttempts);
            restored.Restore(state.ToSnapshot());
            return restored.Pending.Select(j => j.TaskId).SequenceEqual(state.Pending.Select(j => j.TaskId))
                   && restored.Jobs(100, null).Select(j => (j.TaskId, j.Status)).SequenceEqual(state.Jobs(100, null).Select(j => (j.TaskId, j.Status)));
        });

    [Property(MaxTest = 100)]
    public Property History_keeps_at_most_its_size_of_finished_jobs() =>
        Prop.ForAll(Gen.Choose(0, 40).ToArbitrary(), Gen.Choose(1, 10).ToArbitrary(), (count, historySize) =>
        {
            var state = StateWith(Enumerable.Range(0, count).Select(i => (i, 10, Priority.Normal)), history: historySize);
            foreach (var skipped in state.Sweep(Epoch.AddSeconds(1_000))) state.Apply(skipped);
            var finished = state.Jobs(100, JobStatus.Skipped);
            // The newest finished jobs are the ones kept.
            return finished.Count == Math.Min(count, historySize)
                   && finished.All(j => int.Parse(j.TaskId[1..]) >= count - historySize);
        });

    [Fact]
    public void Same_repository_queued_twice_is_a_conflict_naming_the_first_task()
    {
        var state = StateWith([(0, 86_400, Priority.Normal)]);
        var decision = Decide(state, new EnqueueTask("https://github.com/o/r0", Priority.High, "test"), Epoch.AddSeconds(5), "second");
        Assert.Equal(IngestRefusal.Duplicate, Refusal(state, decision)?.Reason);
        Assert.Equal("t00000", Refusal(state, decision)?.ExistingTaskId);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Cancelling_a_queued_task_frees_its_slot_and_its_repository()
    {
        var state = StateWith([(0, 86_400, Priority.Normal)], cap: 1);
        var cancel = Decide(state, new CancelJob("t00000", "test"), Epoch.AddSeconds(1));
        state.Apply(Assert.Single(cancel.Events));
        Assert.Equal(CancelOutcome.Cancelled, Outcome(cancel));
        Assert.Equal(JobStatus.Cancelled, state.Find("t00000")!.Status);
        Assert.Equal(0, state.PendingCount);
        var again = Decide(state, new EnqueueTask("https://github.com/o/r0", Priority.Normal, "test"), Epoch.AddSeconds(2), "t2");
        foreach (var e in again.Events) state.Apply(e);
        Assert.Equal("t2", Assert.IsType<IngestAccepted>(again.Reply!(state)).TaskId);
        Assert.Equal(CancelOutcome.AlreadyFinished, Outcome(Decide(state, new CancelJob("t00000", "test"), Epoch.AddSeconds(3))));
        Assert.Equal(CancelOutcome.NotFound, Outcome(Decide(state, new CancelJob("nope", "test"), Epoch.AddSeconds(3))));

        CancelOutcome Outcome(Decision<int> decision) => Assert.IsType<CancelJobResult>(decision.Reply!(state)).Outcome;
    }
}
