using System.Text.Json.Serialization;

namespace Pharos.Messages.Events;

// Events QueueActor persists. Once released, a manifest's JSON shape is frozen: golden samples in
// tests/Pharos.Messages.Tests/Golden must keep deserializing. Change a shape by adding a ".v2" type.

/// <summary>
/// A task was accepted into the queue. Persisted before the client is told 202. <see cref="PrivateRepos"/> (added
/// later, absent from older events): the edge may clone it with its git credentials; written only when true, so an
/// event without the grant keeps the bytes it always had. <see cref="Ref"/> (added later): the branch, tag or commit to
/// ingest; absent: the remote's default branch. <see cref="JobNumber"/> (added later): the job's number, unique and
/// stable, as the original Pharos's clients know a job (its <c>job_id</c>); absent from events written before it
/// existed, whose jobs are numbered in the order they were enqueued. Both written only when set. <see cref="NeverStale"/>
/// (added later, written only when true): a task imported from the original Pharos without a submission time (its
/// legacy bare-URL form), never skipped as stale; <see cref="SubmittedAt"/> is then when it was imported and
/// <see cref="TtlSeconds"/> the queue's TTL, not applied (a node that predates the field reads it as an ordinary task).
/// </summary>
[Manifest("task-enqueued.v1")]
public sealed record TaskEnqueued(
    string TaskId,
    string RepoUrl,
    Priority Priority,
    DateTimeOffset SubmittedAt,
    int TtlSeconds,
    string RequestedBy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool PrivateRepos = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ref = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? JobNumber = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool NeverStale = false) : IPersistedEvent;

/// <summary>A pending task outlived its TTL and was dropped without being cloned.</summary>
[Manifest("task-skipped.v1")]
public sealed record TaskSkipped(
    string TaskId,
    DateTimeOffset At,
    JobReason Reason,
    double AgeSeconds,
    int TtlSeconds) : IPersistedEvent;

/// <summary>A user cancelled the task.</summary>
[Manifest("task-cancelled.v1")]
public sealed record TaskCancelled(string TaskId, DateTimeOffset At, string By) : IPersistedEvent;
