using Pharos.Messages.Events;
using Pharos.Partition.Tests.History;

namespace Pharos.Partition.Tests.Checking;

/// <summary>What GET /jobs/{id} said of a task once the cluster converged; <see cref="Status"/> null: 404.</summary>
public sealed record FinalJob(string TaskId, string? Status, IReadOnlyList<string> Timeline);

/// <summary>
/// The checker, in the spirit of Jepsen: given every request and answer of a run, the queue's journal as stored and
/// each accepted task's job once the cluster converged, it lists every violation of the contract.
/// <list type="bullet">
/// <item>Only documented answers: POST /ingest 202, 409, 429 or 503; DELETE /jobs/{id} 200, 409 or 503; or none at all.</item>
/// <item>Every 202 ends in exactly one final status (completed, failed, skipped, cancelled), in the job and in the
/// journal; a cancellation answered 200 ends cancelled.</item>
/// <item>No task was taken that no request may have asked for: each enqueued task is a 202's, or an indeterminate
/// request's (no answer, or a 503 that does not say nothing was accepted) for the same repository and ref.</item>
/// <item>No task is completed twice or held by two leases at once; nothing happens to a task after its final event.</item>
/// <item>At most one queue singleton wrote at a time: sequence numbers are unique and contiguous, the stored highest
/// is the last, and no writer (an incarnation of the queue) wrote again after another one had written.</item>
/// </list>
/// </summary>
public static class Checker
{
    public static readonly IReadOnlySet<int> SubmitAnswers = new HashSet<int> { 202, 409, 429, 503 };
    public static readonly IReadOnlySet<int> CancelAnswers = new HashSet<int> { 200, 409, 503 };
    public static readonly IReadOnlySet<string> FinalStatuses = new HashSet<string> { "completed", "failed", "skipped", "cancelled" };

    public static IReadOnlyList<string> Check(IReadOnlyList<Operation> history, JournalDump journal,
        IReadOnlyDictionary<string, FinalJob> finals)
    {
        var violations = new List<string>();
        CheckAnswers(history, violations);
        CheckAccepted(history, finals, journal, violations);
        CheckNoPhantoms(history, journal, violations);
        CheckLeases(journal, violations);
        CheckSingleWriter(journal, violations);
        return violations;
    }

    private static void CheckAnswers(IReadOnlyList<Operation> history, List<string> violations)
    {
        foreach (var op in history.Where(o => o.Status is { } s && !(o.Kind == OpKind.Submit ? SubmitAnswers : CancelAnswers).Contains(s)))
            violations.Add($"undocumented answer: {op}");
    }

    private static void CheckAccepted(IReadOnlyList<Operation> history, IReadOnlyDictionary<string, FinalJob> finals,
        JournalDump journal, List<string> violations)
    {
        var enqueued = journal.Entries.Select(e => e.Event).OfType<TaskEnqueued>().GroupBy(e => e.TaskId)
            .ToDictionary(g => g.Key, g => g.Count());
        var finalEvents = journal.Entries.Select(e => e.Event).Select(FinalEventOf).OfType<(string TaskId, string Status)>()
            .GroupBy(f => f.TaskId).ToDictionary(g => g.Key, g => g.Select(f => f.Status).ToList());
        foreach (var id in history.Where(o => o is { Kind: OpKind.Submit, Status: 202 }).Select(o => o.TaskId!).Distinct())
        {
            if (!finals.TryGetValue(id, out var job) || job.Status is null)
            {
                violations.Add($"task {id} got a 202 and is unknown to the cloud (404)");
                continue;
            }
            if (!FinalStatuses.Contains(job.Status)) violations.Add($"task {id} got a 202 and never finished: it is {job.Status}");
            var finalsInTimeline = job.Timeline.Count(FinalStatuses.Contains);
            if (finalsInTimeline != 1)
                violations.Add($"task {id} has {finalsInTimeline} final statuses in its timeline: {string.Join(", ", job.Timeline)}");
            if (enqueued.GetValueOrDefault(id) != 1)
                violations.Add($"task {id} got a 202 and is enqueued {enqueued.GetValueOrDefault(id)} times in the journal");
            var journalFinals = finalEvents.GetValueOrDefault(id) ?? [];
            if (journalFinals.Count != 1)
                violations.Add($"task {id} has {journalFinals.Count} final events in the journal ({string.Join(", ", journalFinals)})");
            else if (journalFinals[0] != job.Status)
                violations.Add($"task {id} is {job.Status} by the API and {journalFinals[0]} by the journal");
        }
        foreach (var op in history.Where(o => o is { Kind: OpKind.Cancel, Status: 200 }))
            if (finals.TryGetValue(op.Key, out var job) && job.Status != "cancelled")
                violations.Add($"cancellation answered 200 but task {op.Key} ended {job.Status}: {op}");
    }

    /// <summary>The task and the final status an event gives it, or null for an event that is not final.</summary>
    private static (string TaskId, string Status)? FinalEventOf(object e) => e switch
    {
        TaskCompleted c => (c.TaskId, "completed"),
        TaskFailed f => (f.TaskId, "failed"),
        TaskCancelled c => (c.TaskId, "cancelled"),
        TaskSkipped s => (s.TaskId, "skipped"),
        _ => null,
    };

    private static void CheckNoPhantoms(IReadOnlyList<Operation> history, JournalDump journal, List<string> violations)
    {
        var acceptedIds = history.Where(o => o is { Kind: OpKind.Submit, Status: 202 }).Select(o => o.TaskId!).ToHashSet();
        var indeterminate = history.Where(o => o.Kind == OpKind.Submit && o.Indeterminate).ToList();
        foreach (var e in journal.Entries.Select(x => x.Event).OfType<TaskEnqueued>())
        {
            if (acceptedIds.Contains(e.TaskId)) continue;
            var key = Workload.SubmitKey(e.RepoUrl, e.Ref);
            // A request can only have made a task it was sent before (the clocks are the same machine's).
            if (!indeterminate.Any(o => o.Key == key && o.Invoked <= e.SubmittedAt.AddSeconds(1)))
                violations.Add($"task {e.TaskId} ({key}) was enqueued at {e.SubmittedAt:HH:mm:ss.fff}, but no request " +
                               "that may have asked for it got a 202 or went unanswered");
        }
    }

    private static void CheckLeases(JournalDump journal, List<string> violations)
    {
        var open = new Dictionary<string, string>(); // task -> lease id held
        // task -> leases it lost and went back to the queue from: the result of such a run, delivered while the task
        // waits in the queue and nobody holds it, completes it (the queue's documented rule: nothing computed is lost).
        var lapsed = new Dictionary<string, HashSet<string>>();
        var completed = new HashSet<string>();
        var ended = new Dictionary<string, long>(); // task -> sequence number of its final event
        foreach (var entry in journal.Entries.OrderBy(e => e.SequenceNr))
        {
            var taskId = entry.Event switch
            {
                TaskEnqueued e => e.TaskId,
                TaskLeased e => e.TaskId,
                TaskProgressed e => e.TaskId,
                TaskCompleted e => e.TaskId,
                TaskFailed e => e.TaskId,
                TaskRequeued e => e.TaskId,
                TaskCancelled e => e.TaskId,
                TaskSkipped e => e.TaskId,
                _ => null,
            };
            if (taskId is null) continue;
            if (ended.TryGetValue(taskId, out var at))
                violations.Add($"#{entry.SequenceNr}: {entry.Event.GetType().Name} of task {taskId} after its final event #{at}");
            switch (entry.Event)
            {
                case TaskLeased leased:
                    if (open.TryGetValue(taskId, out var held))
                        violations.Add($"#{entry.SequenceNr}: task {taskId} leased to {leased.WorkerId} ({leased.LeaseId}) while lease {held} was held");
                    open[taskId] = leased.LeaseId;
                    break;
                case TaskProgressed progressed when open.GetValueOrDefault(taskId) != progressed.LeaseId:
                    violations.Add($"#{entry.SequenceNr}: progress of task {taskId} under lease {progressed.LeaseId}, which it does not hold");
                    break;
                case TaskCompleted done:
                    var underLapsed = !open.ContainsKey(taskId) && lapsed.GetValueOrDefault(taskId)?.Contains(done.LeaseId) == true;
                    if (open.GetValueOrDefault(taskId) != done.LeaseId && !underLapsed)
                        violations.Add($"#{entry.SequenceNr}: task {taskId} completed under lease {done.LeaseId}, which it does not hold " +
                                       (open.TryGetValue(taskId, out var other) ? $"(lease {other} does)" : "and never lost to the queue"));
                    if (!completed.Add(taskId)) violations.Add($"#{entry.SequenceNr}: task {taskId} completed twice");
                    open.Remove(taskId);
                    break;
                case TaskFailed failed:
                    if (failed.LeaseId is not null && open.GetValueOrDefault(taskId) != failed.LeaseId)
                        violations.Add($"#{entry.SequenceNr}: task {taskId} failed under lease {failed.LeaseId}, which it does not hold");
                    open.Remove(taskId);
                    break;
                case TaskRequeued requeued:
                    if (open.GetValueOrDefault(taskId) != requeued.LeaseId)
                        violations.Add($"#{entry.SequenceNr}: task {taskId} requeued from lease {requeued.LeaseId}, which it does not hold");
                    open.Remove(taskId);
                    if (!lapsed.TryGetValue(taskId, out var lost)) lapsed[taskId] = lost = [];
                    lost.Add(requeued.LeaseId);
                    break;
                case TaskCancelled or TaskSkipped:
                    open.Remove(taskId);
                    break;
            }
            if (FinalEventOf(entry.Event) is not null) ended.TryAdd(taskId, entry.SequenceNr);
        }
    }

    private static void CheckSingleWriter(JournalDump journal, List<string> violations)
    {
        foreach (var forked in journal.Scores.GroupBy(s => s).Where(g => g.Count() > 1))
            violations.Add($"sequence number {forked.Key} was written {forked.Count()} times (the journal forked)");
        var numbers = journal.Scores.Distinct().Order().ToList();
        for (var i = 1; i < numbers.Count; i++)
            if (numbers[i] != numbers[i - 1] + 1) violations.Add($"sequence numbers jump from {numbers[i - 1]} to {numbers[i]}");
        if (numbers.Count > 0 && journal.StoredHighest != numbers[^1])
            violations.Add($"the stored highest sequence number is {journal.StoredHighest?.ToString() ?? "missing"}, the last event {numbers[^1]}");
        var finished = new HashSet<string>();
        string? current = null;
        foreach (var entry in journal.Entries.OrderBy(e => e.SequenceNr))
        {
            if (entry.Writer == current) continue;
            if (current is not null) finished.Add(current);
            if (finished.Contains(entry.Writer))
                violations.Add($"#{entry.SequenceNr}: writer {entry.Writer} wrote again after another queue incarnation had written");
            current = entry.Writer;
        }
    }
}
