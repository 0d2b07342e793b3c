using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Pharos.Messages.Events;

namespace Pharos.Bench.Persistence;

/// <summary>How a <see cref="WriterActor"/> persists: <c>persist</c> one event at a time (the next once the
/// previous is confirmed), <c>persistall</c> batches of <c>Batch</c> (the next once the batch is confirmed), or
/// <c>inflight</c>: <c>Batch</c> Persist calls in one command (Akka hands them to the journal together).</summary>
public sealed record WriteRun(string Mode, int Batch, TimeSpan Duration);

public sealed record WriteResult(long Events, TimeSpan Elapsed);

public sealed class WriterActor : ReceivePersistentActor
{
    private sealed class Next
    {
        public static readonly Next Instance = new();
    }

    public override string PersistenceId { get; }
    private WriteRun _run = new("persist", 1, TimeSpan.Zero);
    private IActorRef _replyTo = ActorRefs.Nobody;
    private Stopwatch _clock = new();
    private long _done;
    private int _left;

    public WriterActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<TaskEnqueued>(_ => { });
        Command<WriteRun>(run =>
        {
            _run = run; _replyTo = Sender; _done = 0; _clock = Stopwatch.StartNew();
            Step();
        });
        Command<Next>(_ => Step());
    }

    private void Step()
    {
        if (_clock.Elapsed >= _run.Duration)
        {
            _replyTo.Tell(new WriteResult(_done, _clock.Elapsed));
            return;
        }
        switch (_run.Mode)
        {
            case "persist":
                Persist(Events.Make(), _ => { _done++; Self.Tell(Next.Instance); });
                break;
            case "persistall":
                _left = _run.Batch;
                PersistAll(Enumerable.Range(0, _run.Batch).Select(_ => Events.Make()).ToList(), Confirmed);
                break;
            case "inflight":
                _left = _run.Batch;
                // On purpose (the row measures it): Akka hands Persist calls made in one command to the journal together.
#pragma warning disable AK1006
                for (var i = 0; i < _run.Batch; i++) Persist(Events.Make(), Confirmed);
#pragma warning restore AK1006
                break;
            default: throw new InvalidOperationException(_run.Mode);
        }
    }

    private void Confirmed(TaskEnqueued _)
    {
        _done++;
        if (--_left == 0) Self.Tell(Next.Instance);
    }
}

/// <summary>Writes <c>Events</c> events in batches of 1,000 and, if <c>SnapshotAt</c> &gt; 0, a snapshot once that many are written.</summary>
public sealed record Populate(long Events, long SnapshotAt);

public sealed record Populated(long Events);

public sealed class PopulateActor : ReceivePersistentActor
{
    public override string PersistenceId { get; }
    private long _count;
    private Populate _target = new(0, 0);
    private IActorRef _replyTo = ActorRefs.Nobody;

    public PopulateActor(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<TaskEnqueued>(_ => _count++);
        Recover<SnapshotOffer>(offer => _count = offer.Metadata.SequenceNr);
        Command<Populate>(p => { _target = p; _replyTo = Sender; Step(); });
        Command<SaveSnapshotSuccess>(_ => Step());
        Command<SaveSnapshotFailure>(f => _replyTo.Tell(new Status.Failure(f.Cause)));
    }

    private void Step()
    {
        if (_count >= _target.Events) { _replyTo.Tell(new Populated(_count)); return; }
        var limit = _target.SnapshotAt > _count ? _target.SnapshotAt : _target.Events;
        var n = (int)Math.Min(1000, limit - _count);
        var left = n;
        PersistAll(Enumerable.Range(0, n).Select(_ => Events.Make()).ToList(), _ =>
        {
            _count++;
            if (--left > 0) return;
            // A snapshot of a queue-like state: the count, and what a state's header would hold.
            if (_count == _target.SnapshotAt) SaveSnapshot($"bench-state count={_count} " + new string('x', 200));
            else Step();
        });
    }
}

/// <summary>Recovers, counting events, sampling the managed heap every 500 events; tells the result when recovered.</summary>
public sealed class RecoveringActor : ReceivePersistentActor
{
    public sealed record Recovered(long Events, long SnapshotSequenceNr, long CompletedAt, long PeakHeapBytes);

    public override string PersistenceId { get; }
    private long _events;
    private long _snapshotSeq;
    private long _peak;

    public RecoveringActor(string persistenceId, IActorRef replyTo)
    {
        PersistenceId = persistenceId;
        Recover<SnapshotOffer>(offer => { _snapshotSeq = offer.Metadata.SequenceNr; Sample(); });
        Recover<TaskEnqueued>(_ =>
        {
            if (++_events % 500 == 0) Sample();
        });
        Recover<RecoveryCompleted>(_ =>
        {
            var at = Stopwatch.GetTimestamp();
            Sample();
            replyTo.Tell(new Recovered(_events, _snapshotSeq, at, _peak));
        });
        CommandAny(_ => { });
    }

    private void Sample() => _peak = Math.Max(_peak, GC.GetTotalMemory(false));
}
