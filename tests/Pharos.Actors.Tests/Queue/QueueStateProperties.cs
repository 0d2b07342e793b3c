using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.Actors.Queue;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;

namespace Pharos.Actors.Tests.Queue;

/// <summary>The queue's contract stated as properties over <see cref="QueueState"/>.</summary>
public sealed class QueueStateProperties
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

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
                job.Reason == JobReasons.TtlExpired && job.AgeSeconds > job.Ttl && job.FinishedAt == now);
        });

    /// <summary>Property 16: a queue holding at least its cap of live tasks refuses any valid request with nothing to persist.</summary>
    [Property(MaxTest = 200)]
    public Property Full_queue_refuses_every_request_and_persists_nothing() =>
        Prop.ForAll(Gen.Choose(1, 20).ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(),
            Gen.Elements(Priority.Low, Priority.Normal, Priority.High).ToArbitrary(), (cap, extra, priority) =>
        {
            var live = Enumerable.Range(0, cap + extra).Select(_ => (0, 86_400, Priority.Normal));
            var state = StateWith(live, cap);
            var decision = state.DecideEnqueue(new EnqueueTask("https://github.com/new/repo", priority, "test"), "new",
                Epoch.AddSeconds(10), 86_400);
            return decision.Refusal?.Reason == IngestRefusal.QueueFull && decision.Events.Count == 0
                   && decision.Refusal.RetryAfterSeconds is >= 1 and <= 60;
        });

    /// <summary>The zombie queue: stale tasks never lock users out.</summary>
    [Property(MaxTest = 100)]
    public Property Queue_full_of_stale_tasks_accepts_and_sweeps_them_first() =>
        Prop.ForAll(Gen.Choose(1, 15).ToArbitrary(), cap =>
        {
            var state = StateWith(Enumerable.Range(0, cap).Select(_ => (0, 60, Priority.High)), cap);
            var decision = state.DecideEnqueue(new EnqueueTask("https://github.com/new/repo", Priority.Low, "test"), "new",
                Epoch.AddSeconds(61), 86_400);
            foreach (var e in decision.Events) state.Apply(e);
            return decision.Refusal is null
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
        var decision = state.DecideEnqueue(new EnqueueTask("https://github.com/o/r0", Priority.High, "test"), "second",
            Epoch.AddSeconds(5), 86_400);
        Assert.Equal(IngestRefusal.Duplicate, decision.Refusal?.Reason);
        Assert.Equal("t00000", decision.Refusal?.ExistingTaskId);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void Cancelling_a_queued_task_frees_its_slot_and_its_repository()
    {
        var state = StateWith([(0, 86_400, Priority.Normal)], cap: 1);
        var cancel = state.DecideCancel(new CancelJob("t00000", "test"), Epoch.AddSeconds(1));
        Assert.Equal(CancelOutcome.Cancelled, cancel.Outcome);
        state.Apply(cancel.Event!);
        Assert.Equal(JobStatus.Cancelled, state.Find("t00000")!.Status);
        Assert.Equal(0, state.PendingCount);
        var again = state.DecideEnqueue(new EnqueueTask("https://github.com/o/r0", Priority.Normal, "test"), "t2", Epoch.AddSeconds(2), 60);
        Assert.Null(again.Refusal);
        Assert.Equal(CancelOutcome.AlreadyFinished, state.DecideCancel(new CancelJob("t00000", "test"), Epoch.AddSeconds(3)).Outcome);
        Assert.Equal(CancelOutcome.NotFound, state.DecideCancel(new CancelJob("nope", "test"), Epoch.AddSeconds(3)).Outcome);
    }
}
