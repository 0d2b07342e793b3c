using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.Api.Contracts;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Status;
using Pharos.Partition.Tests.History;

namespace Pharos.Partition.Tests.Checking;

/// <summary>
/// The checker itself, on runs built by hand: a run that keeps the contract passes, and each kind of violation
/// injected into it is reported. (The scenarios would pass vacuously on a checker that found nothing.)
/// </summary>
public sealed class CheckerTests
{
    private const string Repo = "git://git.partition.test/work";
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    /// <summary>How a task of a generated run ends.</summary>
    public enum Ending { Completed, Failed, Cancelled, RequeuedThenCompleted, RequeuedThenDeliveredLate }

    /// <summary>A run that keeps the contract: each task got a 202, was enqueued, leased and ended as <paramref name="endings"/> say.</summary>
    private static (List<Operation> History, JournalDump Journal, Dictionary<string, FinalJob> Finals) Run(IReadOnlyList<Ending> endings)
    {
        var history = new List<Operation>();
        var events = new List<(string Writer, object Event)>();
        var finals = new Dictionary<string, FinalJob>();
        var writer = "writer-1";
        for (var i = 0; i < endings.Count; i++)
        {
            var id = $"task-{i}";
            var at = T0.AddSeconds(i * 10);
            var gitRef = $"b{i:D2}";
            history.Add(new Operation(history.Count + 1, 0, OpKind.Submit, "cloud1", Workload.SubmitKey(Repo, gitRef), at, at.AddMilliseconds(50), 202, id, null));
            events.Add((writer, new TaskEnqueued(id, Repo, Priority.Normal, at.AddMilliseconds(10), 86400, "admin", Ref: gitRef)));
            events.Add((writer, new TaskLeased(id, $"{id}-l1", "w1", "akka.tcp://pharos@edge:1", at.AddSeconds(1), 1)));
            events.Add((writer, new TaskProgressed(id, $"{id}-l1", at.AddSeconds(2), JobStage.Training)));
            var lease = $"{id}-l1";
            if (endings[i] == Ending.RequeuedThenCompleted)
            {
                events.Add((writer, new TaskRequeued(id, lease, at.AddSeconds(3), LeaseEndReason.LeaseExpired)));
                lease = $"{id}-l2";
                events.Add((writer, new TaskLeased(id, lease, "w2", "akka.tcp://pharos@edge:2", at.AddSeconds(4), 2)));
                // A new incarnation of the queue may take over between two events: the writers follow each other.
                writer = $"writer-{i + 2}";
            }
            // The worker lost the lease (its edge was cut off) after it had the result; the result arrives while the
            // task waits in the queue, under the lease it lost, and completes it.
            if (endings[i] == Ending.RequeuedThenDeliveredLate)
                events.Add((writer, new TaskRequeued(id, lease, at.AddSeconds(3), LeaseEndReason.WorkerTerminated)));
            var (status, final) = endings[i] switch
            {
                Ending.Failed => ("failed", (object)new TaskFailed(id, lease, at.AddSeconds(5), JobReason.CloneFailed, "boom")),
                Ending.Cancelled => ("cancelled", new TaskCancelled(id, at.AddSeconds(5), "admin")),
                _ => ("completed", new TaskCompleted(id, lease, at.AddSeconds(5), new TaskMetrics("abc", 3, 2, 3, 0.5, new StageSeconds()))),
            };
            events.Add((writer, final));
            if (endings[i] == Ending.Cancelled)
                history.Add(new Operation(history.Count + 1, 1, OpKind.Cancel, "cloud1", id, at.AddSeconds(5), at.AddSeconds(5), 200, id, null));
            finals[id] = new FinalJob(id, status, ["queued", "running", status]);
        }
        var entries = events.Select((e, n) => new JournalEntry(n + 1, e.Writer, e.Event)).ToList();
        return (history, new JournalDump(entries, entries.Select(e => e.SequenceNr).ToList(), entries.Count), finals);
    }

    /// <summary>The violations the checker can find, each injected into a run that had none.</summary>
    public enum Fault
    {
        UndocumentedAnswer, LostTask, NeverFinished, TwoFinalStatuses, ForkedSequenceNumber, GapInSequenceNumbers,
        WrongStoredHighest, OverlappingLease, CompletedTwice, EventAfterFinal, PhantomTask, WriterResumed, CancelledButCompleted,
        CompletedUnderALostLeaseWhileAnotherIsHeld,
    }

    private static (List<Operation>, JournalDump, Dictionary<string, FinalJob>) Inject(
        (List<Operation> History, JournalDump Journal, Dictionary<string, FinalJob> Finals) run, Fault fault)
    {
        var (history, journal, finals) = run;
        var entries = journal.Entries.ToList();
        var scores = journal.Scores.ToList();
        var highest = journal.StoredHighest;
        var first = finals.Keys.First();
        var last = entries[^1];
        void Append(object e, string? writer = null)
        {
            var n = entries.Count + 1;
            entries.Add(new JournalEntry(n, writer ?? entries[^1].Writer, e));
            scores.Add(n);
            highest = n;
        }
        switch (fault)
        {
            case Fault.UndocumentedAnswer:
                history.Add(history[0] with { Index = 999, Status = 500, TaskId = null });
                break;
            case Fault.LostTask:
                finals[first] = new FinalJob(first, null, []);
                break;
            case Fault.NeverFinished:
                finals[first] = finals[first] with { Status = "running" };
                break;
            case Fault.TwoFinalStatuses:
                finals[first] = finals[first] with { Timeline = [.. finals[first].Timeline, "failed"] };
                break;
            case Fault.ForkedSequenceNumber:
                scores.Add(scores[^1]);
                break;
            case Fault.GapInSequenceNumbers:
                scores[^1] += 1;
                highest = scores[^1];
                break;
            case Fault.WrongStoredHighest:
                highest = scores[^1] - 1;
                break;
            case Fault.OverlappingLease:
                Append(new TaskEnqueued("extra", Repo, Priority.Normal, T0, 86400, "admin", Ref: "x"));
                Append(new TaskLeased("extra", "extra-l1", "w1", "a", T0, 1));
                Append(new TaskLeased("extra", "extra-l2", "w2", "b", T0, 2));
                history.Add(history[0] with { Index = 1000, Key = Workload.SubmitKey(Repo, "x"), TaskId = "extra" });
                finals["extra"] = new FinalJob("extra", "completed", ["queued", "completed"]);
                Append(new TaskCompleted("extra", "extra-l2", T0, new TaskMetrics("abc", 1, 1, 1, 0, new StageSeconds())));
                break;
            case Fault.CompletedTwice:
                Append(new TaskCompleted(first, "again", T0, new TaskMetrics("abc", 1, 1, 1, 0, new StageSeconds())));
                break;
            case Fault.EventAfterFinal:
                Append(new TaskLeased(first, "late", "w9", "z", T0, 9));
                break;
            case Fault.PhantomTask:
                Append(new TaskEnqueued("phantom", Repo, Priority.Normal, T0, 86400, "admin", Ref: "nobody-asked"));
                break;
            case Fault.WriterResumed:
                Append(new TaskProgressed("none", "none", T0, JobStage.Cloning), "another-writer");
                Append(new TaskProgressed("none", "none", T0, JobStage.Cloning), entries[0].Writer == "another-writer" ? "x" : entries[0].Writer);
                break;
            case Fault.CompletedUnderALostLeaseWhileAnotherIsHeld:
                Append(new TaskEnqueued("taken", Repo, Priority.Normal, T0, 86400, "admin", Ref: "y"));
                Append(new TaskLeased("taken", "taken-l1", "w1", "a", T0, 1));
                Append(new TaskRequeued("taken", "taken-l1", T0, LeaseEndReason.WorkerTerminated));
                Append(new TaskLeased("taken", "taken-l2", "w2", "b", T0, 2));
                history.Add(history[0] with { Index = 1001, Key = Workload.SubmitKey(Repo, "y"), TaskId = "taken" });
                finals["taken"] = new FinalJob("taken", "completed", ["queued", "completed"]);
                Append(new TaskCompleted("taken", "taken-l1", T0, new TaskMetrics("abc", 1, 1, 1, 0, new StageSeconds())));
                break;
            case Fault.CancelledButCompleted:
                var completed = finals.Values.First(f => f.Status == "completed").TaskId;
                history.Add(new Operation(2000, 1, OpKind.Cancel, "cloud1", completed, T0, T0, 200, completed, null));
                break;
        }
        _ = last;
        return (history, new JournalDump(entries, scores, highest), finals);
    }

    private static Arbitrary<Ending[]> Endings() =>
        Gen.NonEmptyListOf(Gen.Elements(Enum.GetValues<Ending>())).Select(l => l.Take(12).ToArray())
            .Where(e => e.Contains(Ending.Completed) || e.Contains(Ending.RequeuedThenCompleted) || e.Contains(Ending.RequeuedThenDeliveredLate))
            .ToArbitrary();

    [Property(MaxTest = 200)]
    public Property A_run_that_keeps_the_contract_has_no_violations() =>
        Prop.ForAll(Endings(), endings =>
        {
            var (history, journal, finals) = Run(endings);
            var violations = Checker.Check(history, journal, finals);
            return violations.Count == 0;
        });

    [Property(MaxTest = 300)]
    public Property Every_injected_violation_is_reported() =>
        Prop.ForAll(Endings(), Gen.Elements(Enum.GetValues<Fault>()).ToArbitrary(), (endings, fault) =>
        {
            var (history, journal, finals) = Inject(Run(endings), fault);
            return Checker.Check(history, journal, finals).Count > 0;
        });

    [Fact]
    public void A_task_made_by_a_request_that_went_unanswered_is_no_phantom()
    {
        var (history, journal, finals) = Run([Ending.Completed]);
        var at = T0.AddMinutes(5);
        history.Add(new Operation(50, 0, OpKind.Submit, "cloud1", Workload.SubmitKey(Repo, "late"), at, at.AddSeconds(10), 503, null,
            "The queue did not answer in time. Retry: if the task was taken after all, the retry answers 409 with its id."));
        var entries = journal.Entries.Append(new JournalEntry(journal.Entries.Count + 1, "writer-1",
            new TaskEnqueued("late-task", Repo, Priority.Normal, at.AddSeconds(12), 86400, "admin", Ref: "late"))).ToList();
        var dump = new JournalDump(entries, entries.Select(e => e.SequenceNr).ToList(), entries.Count);
        Assert.Empty(Checker.Check(history, dump, finals));

        // The same task after a definite refusal is a phantom.
        history[^1] = history[^1] with { Detail = "The durable store did not take the task; " + Operation.NothingAccepted + "." };
        Assert.Contains(Checker.Check(history, dump, finals), v => v.Contains("late-task", StringComparison.Ordinal));
    }
}
