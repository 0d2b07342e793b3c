namespace Pharos.Persistence.Testing;

/// <summary>
/// A persistent actor whose state is the list of events it persisted (strings or other objects), in order. Every
/// outcome the tests look at is told to <c>reporter</c>: each handled event, rejections, failures, recovery.
/// </summary>
public sealed class EventLogActor : ReceivePersistentActor
{
    public sealed record PersistOne(object Event);
    public sealed record PersistMany(IReadOnlyList<object> Events);
    public sealed record TakeSnapshot;
    public sealed record DeleteEventsTo(long ToSequenceNr);
    public sealed record GetState;

    public sealed record Persisted(object Event, long SequenceNr);
    public sealed record State(IReadOnlyList<object> Events, long LastSequenceNr);
    public sealed record Recovered(IReadOnlyList<object> Events, long LastSequenceNr, long? SnapshotSequenceNr);
    public sealed record Rejected(object Event, long SequenceNr, Exception Cause);
    public sealed record Failed(object Event, long SequenceNr, Exception Cause);
    public sealed record RecoveryFailed(Exception Cause);
    public sealed record SnapshotSaved(long SequenceNr);
    public sealed record EventsDeleted(long ToSequenceNr);

    private readonly IActorRef _reporter;
    private List<object> _events = new();
    private long? _snapshotSequenceNr;

    public EventLogActor(string persistenceId, IActorRef reporter)
    {
        PersistenceId = persistenceId;
        _reporter = reporter;

        Recover<SnapshotOffer>(offer =>
        {
            _events = ((IEnumerable<object>)offer.Snapshot).ToList();
            _snapshotSequenceNr = offer.Metadata.SequenceNr;
        });
        Recover<RecoveryCompleted>(_ => _reporter.Tell(new Recovered(_events.ToList(), LastSequenceNr, _snapshotSequenceNr)));
        Recover<object>(e => _events.Add(e));

        Command<PersistOne>(cmd => Persist(cmd.Event, Handle));
        Command<PersistMany>(cmd => PersistAll(cmd.Events, Handle));
        Command<TakeSnapshot>(_ => SaveSnapshot(_events.ToArray()));
        Command<SaveSnapshotSuccess>(s => _reporter.Tell(new SnapshotSaved(s.Metadata.SequenceNr)));
        Command<SaveSnapshotFailure>(f => _reporter.Tell(new Status.Failure(f.Cause)));
        Command<DeleteEventsTo>(cmd => DeleteMessages(cmd.ToSequenceNr));
        Command<DeleteMessagesSuccess>(s => _reporter.Tell(new EventsDeleted(s.ToSequenceNr)));
        Command<DeleteMessagesFailure>(f => _reporter.Tell(new Status.Failure(f.Cause)));
        Command<GetState>(_ => Sender.Tell(new State(_events.ToList(), LastSequenceNr)));
    }

    public override string PersistenceId { get; }

    public static Props Props(string persistenceId, IActorRef reporter) =>
        Akka.Actor.Props.Create(() => new EventLogActor(persistenceId, reporter));

    private void Handle(object e)
    {
        _events.Add(e);
        _reporter.Tell(new Persisted(e, LastSequenceNr));
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _reporter.Tell(new Rejected(@event, sequenceNr, cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _reporter.Tell(new Failed(@event, sequenceNr, cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _reporter.Tell(new RecoveryFailed(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
