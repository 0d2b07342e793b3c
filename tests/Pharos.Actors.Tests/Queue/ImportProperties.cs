using FsCheck;
using Pharos.Messages.Events;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// Imports of the original Pharos's queue (<see cref="EnqueueTask.Imported"/>) over <see cref="QueueDecider{TRef}"/>
/// and <see cref="QueueState"/>: a task keeps its submission time and TTL, one stale on arrival is recorded as skipped
/// with its age, and one without a submission time is never stale.
/// </summary>
public sealed class ImportProperties
{
    private const int QueueTtl = 86_400;
    private const string Repo = "https://github.com/o/imported";

    private static EnqueueTask Import(string repo, DateTimeOffset? submittedAt, int? ttl, Priority priority = Priority.Normal) =>
        new(repo, priority, "admin", Imported: new ImportedTiming(submittedAt, ttl));

    private static T Answer<T>(QueueDriver queue) => Assert.IsType<T>(queue.Sent[^1].Message);

    /// <summary>
    /// Whatever its age and TTL, an import is queued with its original time and expiry, or, when it is past them, is
    /// enqueued at its original time and skipped in the same write with its age and TTL; and it is answered with the
    /// job as recorded.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property An_import_keeps_its_timing_and_is_skipped_on_arrival_exactly_when_stale() =>
        Prop.ForAll(Gen.Choose(-200_000, 200).ToArbitrary(), Gen.Choose(-1, 100_000).ToArbitrary(), (offset, ttlOrDefault) =>
        {
            var queue = new QueueDriver(ttlSeconds: QueueTtl);
            var submitted = queue.Now.AddSeconds(offset).AddMilliseconds(offset % 1000);
            int? ttl = ttlOrDefault < 0 ? null : ttlOrDefault;
            var applied = ttl ?? QueueTtl;
            var stale = queue.Now > submitted.AddSeconds(applied);

            var events = queue.Send(Import(Repo, submitted, ttl)).Events;
            var answer = Answer<ImportAccepted>(queue);
            var job = answer.Job;
            var enqueued = events.OfType<TaskEnqueued>().Single();
            var timingKept = enqueued.SubmittedAt == submitted && enqueued.TtlSeconds == applied && !enqueued.NeverStale
                             && job.SubmittedAt == submitted && job.ExpiresAt == submitted.AddSeconds(applied) && job.Ttl == applied;
            var outcome = stale
                ? events.Count == 2 && events[1] is TaskSkipped { Reason: JobReason.TtlExpired } skipped
                                    && skipped.AgeSeconds == Math.Round((queue.Now - submitted).TotalSeconds, 3)
                                    && skipped.TtlSeconds == applied && skipped.At == queue.Now
                                    && job.Status == JobStatus.Skipped && job.AgeSeconds == skipped.AgeSeconds
                                    && answer.Position == 0 && queue.State.PendingCount == 0
                : events.Count == 1 && job.Status == JobStatus.Queued && answer.Position == 1 && queue.State.PendingCount == 1;
            return (timingKept && outcome).Label($"stale {stale}: [{string.Join(", ", events)}] answered {answer}");
        });

    [Fact]
    public void An_import_from_the_future_beyond_the_clock_tolerance_is_refused_without_a_write()
    {
        var queue = new QueueDriver();
        Assert.Single(queue.Send(Import(Repo, queue.Now + QueueDecider<int>.ImportClockTolerance, 60)).Events);
        Assert.Equal(JobStatus.Queued, Answer<ImportAccepted>(queue).Job.Status);

        Assert.Empty(queue.Send(Import(Repo + "2", queue.Now + QueueDecider<int>.ImportClockTolerance + TimeSpan.FromSeconds(1), 60)).Events);
        var refused = Answer<IngestRefused>(queue);
        Assert.Equal(IngestRefusal.InvalidRequest, refused.Reason);
        Assert.StartsWith("submitted_at ", refused.Detail);
    }

    /// <summary>
    /// Never-stale tasks, mixed with ordinary ones of any TTL, are never swept, always count as live, leave the published
    /// soonest expiry to the others, and reach the worker without a submission time; the others with theirs.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property Never_stale_tasks_are_never_swept_always_live_and_handed_out_without_an_age() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 1_000)).Where(a => a.Length is > 0 and <= 20).ToArbitrary(),
            Gen.Choose(0, 10_000_000).ToArbitrary(), (ttls, laterSeconds) =>
        {
            var queue = new QueueDriver(ttlSeconds: QueueTtl);
            // A zero is a never-stale import; any other number an ordinary task of that TTL.
            for (var i = 0; i < ttls.Length; i++)
                queue.Send(ttls[i] == 0
                    ? Import($"{Repo}/{i}", null, null)
                    : Import($"{Repo}/{i}", queue.Now, ttls[i]));
            var neverStale = ttls.Count(t => t == 0);
            queue.Now = queue.Now.AddSeconds(laterSeconds);
            var now = queue.Now;

            var swept = queue.State.Sweep(now).Select(e => queue.State.Find(e.TaskId)!).ToList();
            var expected = ttls.Count(t => t != 0 && laterSeconds > t);
            var depth = queue.State.Depth();
            var soonest = ttls.Where(t => t != 0).Select(t => (int?)t).Min() is { } min ? QueueDriver.Epoch.AddSeconds(min) : (DateTimeOffset?)null;
            var counted = swept.Count == expected && swept.All(j => !j.NeverStale)
                          && queue.State.LiveCount(now) == ttls.Length - expected
                          && queue.State.LiveCountOf("admin", now) == ttls.Length - expected
                          && depth.SoonestExpiry == soonest
                          && queue.State.Pending.Count(j => j.NeverStale && !QueueState.IsExpired(j, now)) == neverStale;

            // Hand out everything still live: the worker sees no submission time exactly for the never-stale tasks.
            queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);
            var handed = new List<WorkTask>();
            for (var i = 0; i < ttls.Length; i++)
            {
                queue.Send(new RequestWork("w"), 1);
                if (queue.Sent[^1].Message is not TaskAssigned assigned) break;
                handed.Add(assigned.Task);
                queue.Send(new ReportFailed(assigned.Task.TaskId, assigned.LeaseId, JobReason.CloneFailed, "done"), 1);
            }
            var handedOut = handed.Count == ttls.Length - expected
                            && handed.All(t => (t.SubmittedAt is null) == queue.State.Find(t.TaskId)!.NeverStale && !t.IsStaleAt(now))
                            && handed.Count(t => t.SubmittedAt is null) == neverStale;
            return (counted && handedOut).Label($"counted {counted}, handed out {handedOut}");
        });

    /// <summary>A stale import is history, not a task: a full queue records it, and its repository's task stays the active one.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_stale_import_needs_no_room_and_leaves_its_repositorys_queued_or_running_task_active(bool running)
    {
        var queue = new QueueDriver(maxQueueSize: 1);
        queue.Send(new EnqueueTask(Repo, Priority.Normal, "ci"));
        var active = Answer<IngestAccepted>(queue).TaskId;
        if (running)
        {
            queue.Send(new RegisterWorker("w", QueueDriver.Address(1)), 1);
            queue.Send(new RequestWork("w"), 1);
            Assert.IsType<TaskAssigned>(queue.Sent[^1].Message);
        }
        queue.Now = queue.Now.AddMinutes(1);

        queue.Send(Import(Repo, queue.Now.AddHours(-3), 3_600));
        var skipped = Answer<ImportAccepted>(queue).Job;
        Assert.Equal((JobStatus.Skipped, JobReason.TtlExpired, 10_800.0), (skipped.Status, skipped.Reason, skipped.AgeSeconds));
        Assert.Equal(active, queue.State.ActiveJob(Repo)!.TaskId);

        // The repository is still taken, and the queue still full, for ingests and fresh imports alike.
        queue.Send(new EnqueueTask(Repo, Priority.High, "ci"));
        Assert.Equal((IngestRefusal.Duplicate, active), (Answer<IngestRefused>(queue).Reason, Answer<IngestRefused>(queue).ExistingTaskId));
        queue.Send(Import(Repo, queue.Now, 3_600));
        Assert.Equal(IngestRefusal.Duplicate, Answer<IngestRefused>(queue).Reason);
        queue.Send(Import(Repo + "/other", null, null));
        if (running) Assert.Equal(JobStatus.Queued, Answer<ImportAccepted>(queue).Job.Status);
        else Assert.Equal(IngestRefusal.QueueFull, Answer<IngestRefused>(queue).Reason);
    }

    [Fact]
    public void A_never_stale_import_is_marked_as_such_and_a_fresh_one_expires_when_the_original_would_have()
    {
        var queue = new QueueDriver(ttlSeconds: 60);
        queue.Send(Import(Repo, null, null, Priority.High));
        var legacy = Answer<ImportAccepted>(queue).Job;
        Assert.True(legacy.NeverStale);
        Assert.Equal(queue.Now, legacy.SubmittedAt);
        Assert.Equal("priority high, never stale", legacy.Timeline[0].Detail);
        Assert.True(Assert.IsType<TaskEnqueued>(queue.Written[^1]).NeverStale);

        var original = queue.Now.AddSeconds(-50);
        queue.Send(Import(Repo + "/fresh", original, 3_600));
        var fresh = Answer<ImportAccepted>(queue);
        Assert.Equal((original, original.AddHours(1), 2), (fresh.Job.SubmittedAt, fresh.Job.ExpiresAt, fresh.Position));

        // Past the original's expiry the fresh one is swept; the legacy one, years later, is not.
        queue.Now = original.AddSeconds(3_601);
        queue.Send(SweepExpired.Instance);
        queue.Now = queue.Now.AddYears(3);
        queue.Send(SweepExpired.Instance);
        Assert.Equal(JobStatus.Skipped, queue.State.Find(fresh.Job.TaskId)!.Status);
        Assert.Equal(JobStatus.Queued, queue.State.Find(legacy.TaskId)!.Status);
    }

    /// <summary>A snapshot taken over any mix of imports restores the same queue, marks, history and active tasks.</summary>
    [Property(MaxTest = 200)]
    public Property Imports_survive_a_snapshot() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 8)).Where(a => a.Length <= 25).ToArbitrary(), picks =>
        {
            var queue = new QueueDriver(historySize: 10);
            foreach (var (pick, i) in picks.Select((p, i) => (p, i)))
            {
                // Four repositories, so that imports meet queued tasks of their repository.
                var repo = $"{Repo}/{pick % 4}";
                queue.Send(pick switch
                {
                    < 3 => Import(repo, null, null),
                    < 6 => Import(repo, queue.Now.AddHours(-pick), 60),
                    _ => new EnqueueTask(repo, Priority.Low, "ci"),
                });
                queue.Now = queue.Now.AddSeconds(30);
            }
            var restored = new QueueState(queue.State.MaxQueueSize, queue.State.HistorySize, queue.State.MaxAttempts);
            restored.Restore(queue.State.ToSnapshot());
            var jobs = queue.State.Jobs(100, null);
            var same = restored.Jobs(100, null).Select(j => (j.TaskId, j.Status, j.NeverStale, j.AgeSeconds, j.SubmittedAt))
                           .SequenceEqual(jobs.Select(j => (j.TaskId, j.Status, j.NeverStale, j.AgeSeconds, j.SubmittedAt)))
                       && restored.Pending.Select(j => j.TaskId).SequenceEqual(queue.State.Pending.Select(j => j.TaskId))
                       && Enumerable.Range(0, 4).All(r => restored.ActiveJob($"{Repo}/{r}")?.TaskId == queue.State.ActiveJob($"{Repo}/{r}")?.TaskId)
                       && restored.Depth() == queue.State.Depth()
                       && restored.LiveCount(queue.Now.AddYears(5)) == queue.State.Pending.Count(j => j.NeverStale);
            return same.Label(string.Join(", ", jobs.Select(j => $"{j.TaskId} {j.Status} {j.NeverStale}")));
        });
}
