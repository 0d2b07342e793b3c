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

    public static readonly TaskLeased TaskLeased = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112", "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a",
        "laptop-4242-1", "akka.tcp://pharos@10.0.0.7:40123", At.AddSeconds(2), 1);

    public static readonly TaskProgressed TaskProgressed = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112",
        "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a", At.AddSeconds(9), JobStages.Training);

    public static readonly TaskCompleted TaskCompleted = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112",
        "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a", At.AddSeconds(40),
        new Commands.TaskMetrics("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", 412, 1_093, 412, 0.8123,
            new StageSeconds { Clone = 3.5, Parse = 0.25, Train = 31.75, Store = 0.125 },
            "/var/lib/pharos/embeddings/github.com-pharos-sample/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"));

    public static readonly TaskFailed TaskFailed = new("0193f0a0c1d2e3f4a5b6c7d8e9f00115",
        "6a2d1f4b0c9e5d8f9a7b3c2d1e0f9a8b", At.AddMinutes(5), JobReasons.CloneFailed, "repository https://github.com/pharos/gone was not found");

    public static readonly TaskRequeued TaskRequeued = new("0193f0a0c1d2e3f4a5b6c7d8e9f00116",
        "7b3e2a5c1d0f6e9a0b8c4d3e2f1a0b9c", At.AddMinutes(7), "worker_terminated");

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
        ["task-leased.v1"] = TaskLeased,
        ["task-progressed.v1"] = TaskProgressed,
        ["task-completed.v1"] = TaskCompleted,
        ["task-failed.v1"] = TaskFailed,
        ["task-requeued.v1"] = TaskRequeued,
    };
}
