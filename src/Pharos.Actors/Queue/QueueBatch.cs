using Pharos.Messages;
using Pharos.Messages.Events;

namespace Pharos.Actors.Queue;

/// <summary>A command as it arrived, with its sender.</summary>
public sealed record Received<TRef>(object Message, TRef From);

/// <summary>A message to send once the batch is written, and what to send instead when it is not (null: nothing).</summary>
public sealed record Answer<TRef>(TRef To, object Message, object? IfNotWritten);

/// <summary>
/// The decisions of one group commit, in arrival order (<see cref="QueueDecider{TRef}.DecideBatch"/>): the events
/// to write as one atomic batch, and what happens once they are durable.
/// </summary>
public sealed class QueueBatch<TRef>(
    IReadOnlyList<IPersistedEvent> events,
    IReadOnlyList<Answer<TRef>> answers,
    IReadOnlyList<DispatchEffect<TRef>> effects,
    IReadOnlyList<LogNote> notes)
{
    public IReadOnlyList<IPersistedEvent> Events { get; } = events;

    /// <summary>Replies to senders and notices to others, in the order their commands were decided.</summary>
    public IReadOnlyList<Answer<TRef>> Answers { get; } = answers;

    public IReadOnlyList<DispatchEffect<TRef>> Effects { get; } = effects;

    /// <summary>What the decisions had to say for the log.</summary>
    public IReadOnlyList<LogNote> Notes { get; } = notes;

    /// <summary>A task was enqueued or requeued: idle workers hear of it once the batch is durable.</summary>
    public bool AddsWork => Events.Any(e => e is TaskEnqueued or TaskRequeued);
}
