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

    /// <summary>A task whose submitter's token was granted private repositories (the field added later).</summary>
    public static readonly TaskEnqueued TaskEnqueuedWithPrivateRepos =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00117", "https://github.com/pharos/private", Priority.Normal, At, 86_400, "ci-private",
            PrivateRepos: true);

    /// <summary>A snapshot holding a pending task with the grant: it must still carry it after a restart.</summary>
    public static readonly QueueSnapshot QueueSnapshotWithPrivateRepos = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00117", "https://github.com/pharos/private", Priority.Normal, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "ci-private", [new TimelineEntry(JobStatus.Queued, At, "priority normal")], PrivateRepos: true),
    ]);

    /// <summary>A task at a ref, with its job number (the original's job_id): both must come back after a restart.</summary>
    public static readonly TaskEnqueued TaskEnqueuedWithRefAndNumber =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00118", "https://github.com/pharos/refs", Priority.High, At, 86_400, "ci-bot",
            Ref: "release/2.1", JobNumber: 4_127);

    /// <summary>A snapshot of numbered jobs, one at a ref, and the next number to give.</summary>
    public static readonly QueueSnapshot QueueSnapshotNumbered = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00118", "https://github.com/pharos/refs", Priority.High, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "ci-bot", [new TimelineEntry(JobStatus.Queued, At, "priority high")], Ref: "release/2.1",
            JobNumber: 4_127),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00119", "https://github.com/pharos/refs", Priority.Normal, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "ci-bot", [new TimelineEntry(JobStatus.Queued, At, "priority normal")], JobNumber: 4_128),
    ], NextJobNumber: 4_129);

    /// <summary>A task imported from the original Pharos without a submission time (the field added later): never stale.</summary>
    public static readonly TaskEnqueued TaskEnqueuedNeverStale =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00121", "https://github.com/pharos/legacy", Priority.Normal, At, 86_400, "admin",
            NeverStale: true);

    /// <summary>
    /// A snapshot holding a pending never-stale task and an import that was stale on arrival (queued at its original time,
    /// skipped when it came): both must be the same after a restart.
    /// </summary>
    public static readonly QueueSnapshot QueueSnapshotWithImports = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00121", "https://github.com/pharos/legacy", Priority.Normal, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "admin", [new TimelineEntry(JobStatus.Queued, At, "priority normal, never stale")],
            NeverStale: true),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00122", "https://github.com/pharos/stale", Priority.Normal, JobStatus.Skipped,
            At.AddHours(-3), At.AddHours(-2), 3_600, "admin",
            [
                new TimelineEntry(JobStatus.Queued, At.AddHours(-3), "priority normal"),
                new TimelineEntry(JobStatus.Skipped, At, "ttl_expired: age 10800s > ttl 3600s"),
            ],
            FinishedAt: At, Reason: JobReason.TtlExpired, AgeSeconds: 10_800),
    ]);

    public static readonly TaskSkipped TaskSkipped =
        new("0193f0a0c1d2e3f4a5b6c7d8e9f00112", At.AddDays(1).AddSeconds(5), JobReason.TtlExpired, 86_405.25, 86_400);

    public static readonly TaskCancelled TaskCancelled = new("0193f0a0c1d2e3f4a5b6c7d8e9f00113", At.AddMinutes(3), "ci-bot");

    public static readonly TaskLeased TaskLeased = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112", "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a",
        "laptop-4242-1", "akka.tcp://pharos@10.0.0.7:40123", At.AddSeconds(2), 1);

    public static readonly TaskProgressed TaskProgressed = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112",
        "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a", At.AddSeconds(9), JobStage.Training);

    public static readonly TaskCompleted TaskCompleted = new("0193f0a0c1d2e3f4a5b6c7d8e9f00112",
        "5f1c0e3a9b8d4c7e8f6a2b1c0d9e8f7a", At.AddSeconds(40),
        new Commands.TaskMetrics("0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", 412, 1_093, 412, 0.8123,
            new StageSeconds { Clone = 3.5, Parse = 0.25, Train = 31.75, Store = 0.125 },
            "/var/lib/pharos/embeddings/github.com-pharos-sample/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"));

    public static readonly TaskFailed TaskFailed = new("0193f0a0c1d2e3f4a5b6c7d8e9f00115",
        "6a2d1f4b0c9e5d8f9a7b3c2d1e0f9a8b", At.AddMinutes(5), JobReason.CloneFailed,
        "repository https://github.com/pharos/gone was not found");

    public static readonly TaskRequeued TaskRequeued = new("0193f0a0c1d2e3f4a5b6c7d8e9f00116",
        "7b3e2a5c1d0f6e9a0b8c4d3e2f1a0b9c", At.AddMinutes(7), LeaseEndReason.WorkerTerminated);

    public static readonly QueueSnapshot QueueSnapshot = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00114", "https://gitlab.com/team/app", Priority.Normal, JobStatus.Queued,
            At, At.AddDays(1), 86_400, "admin", [new TimelineEntry(JobStatus.Queued, At, "priority normal")]),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00113", "https://github.com/pharos/other", Priority.Low, JobStatus.Cancelled,
            At, At.AddDays(1), 86_400, "ci-bot",
            [new TimelineEntry(JobStatus.Queued, At), new TimelineEntry(JobStatus.Cancelled, At.AddMinutes(3), "by ci-bot")],
            FinishedAt: At.AddMinutes(3), Reason: JobReason.CancelledByUser),
    ]);

    /// <summary>
    /// A snapshot with a job in every state the queue keeps, and the leases of the running ones: the fields and
    /// vocabulary the first snapshot sample does not show (stage, reasons, metrics, a requeue in a timeline).
    /// </summary>
    public static readonly QueueSnapshot QueueSnapshotWithLeases = new(
    [
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00120", "https://github.com/pharos/running", Priority.High, JobStatus.Running,
            At, At.AddDays(1), 86_400, "admin",
            [
                new TimelineEntry(JobStatus.Queued, At, "priority high"),
                new TimelineEntry(JobStatus.Running, At.AddSeconds(1), "attempt 1 on laptop-4242-1"),
                new TimelineEntry(JobStatus.Requeued, At.AddSeconds(30), "worker_terminated"),
                new TimelineEntry(JobStatus.Running, At.AddSeconds(31), "attempt 2 on laptop-4242-2"),
                new TimelineEntry(JobStatus.Running, At.AddSeconds(32), "cloning"),
                new TimelineEntry(JobStatus.Running, At.AddSeconds(35), "parsing"),
                new TimelineEntry(JobStatus.Running, At.AddSeconds(36), "training"),
            ],
            StartedAt: At.AddSeconds(1), Worker: "laptop-4242-2", Attempts: 2, Stage: JobStage.Training),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00121", "https://github.com/pharos/done", Priority.Normal, JobStatus.Completed,
            At, At.AddDays(1), 86_400, "ci-bot",
            [new TimelineEntry(JobStatus.Queued, At), new TimelineEntry(JobStatus.Completed, At.AddSeconds(40), "commit 0a1b2c3d")],
            StartedAt: At.AddSeconds(2), FinishedAt: At.AddSeconds(40), DurationSeconds: 38.5,
            StageSeconds: new StageSeconds { Clone = 3.5, Parse = 0.25, Train = 31.75, Store = 0.125 },
            CommitSha: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", FilesProcessed: 412, Edges: 1_093, EmbeddingsGenerated: 412,
            FinalLoss: 0.8123, Worker: "laptop-4242-1", Attempts: 1,
            EmbeddingsPath: "/var/lib/pharos/embeddings/github.com-pharos-done/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00122", "https://github.com/pharos/lost", Priority.Low, JobStatus.Failed,
            At, At.AddDays(1), 86_400, "admin",
            [
                new TimelineEntry(JobStatus.Queued, At),
                new TimelineEntry(JobStatus.Failed, At.AddMinutes(9),
                    "worker_lost: the worker was lost on each of 3 attempts (last: lease_expired)"),
            ],
            StartedAt: At.AddMinutes(1), FinishedAt: At.AddMinutes(9), Worker: null, Attempts: 3,
            Error: "the worker was lost on each of 3 attempts (last: lease_expired)", Reason: JobReason.WorkerLost),
        new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00123", "https://github.com/pharos/old", Priority.Normal, JobStatus.Skipped,
            At, At.AddDays(1), 86_400, "admin",
            [
                new TimelineEntry(JobStatus.Queued, At),
                new TimelineEntry(JobStatus.Skipped, At.AddDays(1).AddSeconds(5), "ttl_expired: age 86405s > ttl 86400s"),
            ],
            FinishedAt: At.AddDays(1).AddSeconds(5), Reason: JobReason.TtlExpired, AgeSeconds: 86_405.25),
    ],
    [
        new LeaseRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00120", "8c4f3b6d2e1a7f0b1c9d5e4f3a2b1c0d", "laptop-4242-2",
            "akka.tcp://pharos@10.0.0.8:40200", 2),
    ]);

    /// <summary>Every golden file, by file name (without .json): the persisted samples and further shapes of them.</summary>
    public static IReadOnlyDictionary<string, object> Golden => new Dictionary<string, object>(Persisted)
    {
        ["queue-snapshot.v1.with-leases"] = QueueSnapshotWithLeases,
        ["task-enqueued.v1.private-repos"] = TaskEnqueuedWithPrivateRepos,
        ["queue-snapshot.v1.private-repos"] = QueueSnapshotWithPrivateRepos,
        ["task-enqueued.v1.ref-and-number"] = TaskEnqueuedWithRefAndNumber,
        ["queue-snapshot.v1.numbered"] = QueueSnapshotNumbered,
        ["task-enqueued.v1.never-stale"] = TaskEnqueuedNeverStale,
        ["queue-snapshot.v1.imports"] = QueueSnapshotWithImports,
    };

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
