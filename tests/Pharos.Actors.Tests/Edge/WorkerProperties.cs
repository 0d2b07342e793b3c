using FsCheck;
using Pharos.Actors.Results;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// Property 18: a task whose age exceeds its TTL is reported skipped (with its age and TTL) and no CloneActor is
/// ever made for it; a task within its TTL (age == ttl included) is cloned. One ActorSystem for every case, a
/// cheap worker per case.
/// </summary>
public sealed class StaleTaskProperties : WorkerTestKit
{
    private static readonly DateTimeOffset Epoch = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How far "now" is from the instant the task expires (submitted + ttl); stale exactly when positive.</summary>
    private static readonly Gen<long> BoundaryOffsetTicks = Gen.Frequency(
        (3, Gen.Elements(0L, 1L, -1L, TimeSpan.TicksPerMillisecond, -TimeSpan.TicksPerMillisecond,
            TimeSpan.TicksPerSecond, -TimeSpan.TicksPerSecond)),
        (3, Gen.Choose(-5_000, 5_000).Select(ms => ms * TimeSpan.TicksPerMillisecond)),
        (2, Gen.Choose(-400_000, 400_000).Select(s => s * TimeSpan.TicksPerSecond)));

    public sealed record Case(DateTimeOffset SubmittedAt, int Ttl, long OffsetTicks)
    {
        public DateTimeOffset Now => SubmittedAt + TimeSpan.FromSeconds(Ttl) + TimeSpan.FromTicks(OffsetTicks);
        public bool Stale => OffsetTicks > 0;
    }

    private static Arbitrary<Case> Cases() =>
        (from submittedSecond in Gen.Choose(0, 50_000_000)
         from submittedMs in Gen.Choose(0, 999)
         from ttl in Gen.Frequency((1, Gen.Constant(0)), (3, Gen.Choose(1, 120)), (3, Gen.Choose(0, 200_000)),
             (1, Gen.Constant(86_400)))
         from offset in BoundaryOffsetTicks
         select new Case(Epoch.AddSeconds(submittedSecond).AddMilliseconds(submittedMs), ttl, offset))
        .ToArbitrary();

    private int _case;

    [Property(MaxTest = 150)]
    public Property Stale_tasks_are_skipped_and_never_cloned_and_fresh_ones_are_cloned() =>
        Prop.ForAll(Cases(), c =>
        {
            var n = Interlocked.Increment(ref _case);
            var clones = 0;
            var proxy = CreateTestProbe();
            var queue = CreateTestProbe();
            var mediator = CreateTestProbe();
            var settings = Settings();
            // The real CloneActor, counted; the repository is missing, so a clone ends at once in clone_failed (no job process).
            var stages = new WorkerStages(
                order => { Interlocked.Increment(ref clones); return CloneActor.Props(order, settings, LocalValidator); },
                order => TrainActor.Props(order, settings),
                entry => ResultUploader.Props(entry, () => Sys.ActorSelection($"/user/{ResultIntake.Name}")));
            var worker = Sys.ActorOf(WorkerActor.Props(settings, proxy.Ref, mediator.Ref, new ManualClock(c.Now), stages),
                $"worker-{n}");
            try
            {
                var registration = proxy.ExpectMsg<RegisterWorker>();
                worker.Tell(new WorkerRegistered(settings.WorkerId, registration.Challenge), queue.Ref);
                queue.ExpectMsg<RequestWork>();

                var task = new WorkTask($"task-{n}", Path.Combine(DataDir, "missing", $"repo-{n}"), Priority.Normal,
                    c.SubmittedAt, c.Ttl, 1);
                worker.Tell(new TaskAssigned(task, $"lease-{n}"), queue.Ref);
                var first = queue.ReceiveOne(TimeSpan.FromSeconds(5));
                if (c.Stale)
                {
                    var age = (c.Now - c.SubmittedAt).TotalSeconds;
                    var skipped = first as ReportSkipped;
                    var reported = skipped is not null && skipped.TaskId == task.TaskId && skipped.LeaseId == $"lease-{n}"
                                   && skipped.TtlSeconds == c.Ttl && Math.Abs(skipped.AgeSeconds - age) <= 0.0005;
                    // It asks for the next task straight away, and only then is "never" checked.
                    var next = queue.ReceiveOne(TimeSpan.FromSeconds(5)) is RequestWork;
                    queue.ExpectNoMsg(TimeSpan.FromMilliseconds(20));
                    return (reported && next && Volatile.Read(ref clones) == 0)
                        .Label($"stale: first report {first}, clones {Volatile.Read(ref clones)}, age {age}");
                }
                var cloning = first is ReportProgress { Stage: JobStage.Cloning } p && p.TaskId == task.TaskId;
                var failed = queue.FishForMessage<ReportFailed>(_ => true, TimeSpan.FromSeconds(30));
                return (cloning && failed.Reason == JobReason.CloneFailed && Volatile.Read(ref clones) == 1)
                    .Label($"fresh: first report {first}, then {failed}, clones {Volatile.Read(ref clones)}");
            }
            finally
            {
                Sys.Stop(worker);
            }
        });
}
