using Pharos.Messages;
using Pharos.Messages.Events;
using Pharos.Messages.Status;

namespace Pharos.Messages.Tests;

/// <summary>One fixed sample of everything Pharos persists. The golden files are these, serialized once.</summary>
public static class Samples
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 8, 0, 0, 123, TimeSpan.Zero);

    public static readonly TaskEnqueued TaskEnqueued =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00112", "https://github.com/pharos/sample", Priority.High, At, 86_400, "admin");

    public static readonly TaskSkipped TaskSkipped =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00112", At.AddDays(1).AddSeconds(5), JobReasons.TtlExpired, 86_405.25, 86_400);

    public static readonly TaskCancelled TaskCancelled = new("0193f0a0c1d2e3f4a5b6c7d8e9f00113", At.AddMinutes(3), "ci-bot");

    public static readonly QueueSnapshot QueueSnapshot = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00114", "https://gitlab.com/team/app", Priority.Normal, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "admin", [new TimelineEntry(JobStatus.Queued, At, "priority normal")]),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00113", "https://github.com/pharos/other", Priority.Low, JobStatus.Cancelled,
            At, At.AddDays(1), 86_400, "ci-bot",
            [new TimelineEntry(JobStatus.Queued, At), new TimelineEntry(JobStatus.Cancelled, At.AddMinutes(3), "by ci-bot")],
            FinishedAt: At.AddMinutes(3), Reason: JobReasons.CancelledByUser),
    ]);

    /// <summary>Everything that reaches a journal or snapshot store, by manifest.</summary>
    public static readonly IReadOnlyDictionary<string, object> Persisted = new Dictionary<string, object>
    {
        ["task-enqueued.v1"] = TaskEnqueued,
        ["task-skipped.v1"] = TaskSkipped,
        ["task-cancelled.v1"] = TaskCancelled,
        ["queue-snapshot.v1"] = QueueSnapshot,
    };
}
