using Pharos.Messages.Commands;

namespace Pharos.Messages.Events;

// Events of a task's run on a worker. Frozen once released, like QueueEvents.cs: change a shape with a ".v2" type.

/// <summary>A worker took the task under a new lease; <see cref="Attempt"/> counts from 1.</summary>
[Manifest("task-leased.v1")]
public sealed record TaskLeased(
    string TaskId,
    string LeaseId,
    string WorkerId,
    string WorkerAddress,
    DateTimeOffset At,
    int Attempt) : IPersistedEvent;

/// <summary>The run entered a new stage. Coarse on purpose: stage changes only, never every progress tick.</summary>
[Manifest("task-progressed.v1")]
public sealed record TaskProgressed(string TaskId, string LeaseId, DateTimeOffset At, JobStage Stage) : IPersistedEvent;

[Manifest("task-completed.v1")]
public sealed record TaskCompleted(string TaskId, string LeaseId, DateTimeOffset At, TaskMetrics Metrics) : IPersistedEvent;

/// <summary>The task ended without embeddings. <see cref="LeaseId"/> is null when no worker held it.</summary>
[Manifest("task-failed.v1")]
public sealed record TaskFailed(string TaskId, string? LeaseId, DateTimeOffset At, JobReason Reason, string Error) : IPersistedEvent;

/// <summary>The worker holding the task was lost; the task is pending again, ahead of its priority's queue.</summary>
[Manifest("task-requeued.v1")]
public sealed record TaskRequeued(string TaskId, string LeaseId, DateTimeOffset At, LeaseEndReason Reason) : IPersistedEvent;
