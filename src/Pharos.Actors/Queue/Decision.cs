using Akka.Event;
using Pharos.Messages;

namespace Pharos.Actors.Queue;

/// <summary>
/// What deciding one command comes to (<see cref="QueueDecider{TRef}"/>). Nothing of it has happened yet: the
/// <see cref="Events"/> are applied to the state as the batch is decided, so that the commands after it are
/// decided against them, and everything else happens once the batch is durable.
/// </summary>
/// <typeparam name="TRef">How an actor is addressed: an <c>IActorRef</c> in the queue, any value in a test.</typeparam>
public sealed record Decision<TRef>
{
    public static readonly Decision<TRef> None = new();

    /// <summary>What to persist, in order.</summary>
    public IReadOnlyList<IPersistedEvent> Events { get; init; } = [];

    /// <summary>The sender's answer, read off the state once <see cref="Events"/> are applied; null: no answer.</summary>
    public Func<QueueState, object>? Reply { get; init; }

    /// <summary>What the sender hears instead when the batch is not written; null: nothing.</summary>
    public object? ReplyIfNotWritten { get; init; }

    /// <summary>What others (or the sender, about its task) are told once the batch is written.</summary>
    public IReadOnlyList<Notice<TRef>> Notices { get; init; } = [];

    /// <summary>What changes in the worker registry and the lease timers once the batch is written.</summary>
    public IReadOnlyList<DispatchEffect<TRef>> Effects { get; init; } = [];

    /// <summary>A line for the queue's log, written as the command is decided.</summary>
    public LogNote? Log { get; init; }
}

public sealed record Notice<TRef>(TRef To, object Message);

public sealed record LogNote(LogLevel Level, string Template, object[] Args);
