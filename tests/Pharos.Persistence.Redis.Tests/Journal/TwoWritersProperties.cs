using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.Persistence.Redis.Journal;
using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>
/// Two writers of one persistence id in two actor systems on one Redis (two singletons on either side of a partition),
/// their persists interleaved at random, each restarted (and so recovering) whenever a refused write stopped it: the
/// journal holds sequence numbers 1, 2, … n once each, and every event a writer was told was persisted is in it, at the
/// sequence number it was told. One pair of actor systems for every case, a persistence id per case.
/// </summary>
public sealed class TwoWritersProperties : RedisPersistenceSpec, IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    // Refused writes are what this test makes, and each counts as a failure of the journal's breaker: ten in a row in
    // one system would open it and fail the next recoveries, which is not what is looked at here.
    private const string Config = """
        akka.log-dead-letters = off
        akka.persistence.journal.redis.circuit-breaker.max-failures = 100000
        """;

    /// <summary>Writer 0 or 1 persists <see cref="Events"/> events (one Persist, or one PersistAll), then, when
    /// <see cref="Settle"/>, the test waits until that writer has handled it (or stopped) before the next step.</summary>
    public sealed record Step(int Writer, int Events, bool Settle);

    private static Arbitrary<Step[]> Steps() =>
        (from count in Gen.Choose(1, 16)
         from steps in Gen.ArrayOf(
             from writer in Gen.Choose(0, 1)
             from events in Gen.Frequency((3, Gen.Constant(1)), (1, Gen.Choose(2, 4)))
             from settle in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
             select new Step(writer, events, settle), count)
         select steps).ToArbitrary();

    private readonly ActorSystem _other;
    private int _case;

    public TwoWritersProperties(RedisFixture redis, ITestOutputHelper output)
        : base(redis.Server, output, Config, captureAkkaLog: false)
    {
        _other = ActorSystem.Create("other-side", Sys.Settings.Config);
    }

    [Property(MaxTest = 200)]
    public Property Two_writers_never_fork_the_sequence_numbers_and_lose_no_persisted_event() =>
        Prop.ForAll(Steps(), steps =>
        {
            var (broken, refused) = Run(steps);
            return (broken is null).ToProperty().Label(broken ?? "ok").Classify(refused > 0, "a write was refused");
        });

    private (string? Broken, int Refused) Run(Step[] steps)
    {
        var pid = $"{Pid}-c{Interlocked.Increment(ref _case)}";
        var reports = new ConcurrentQueue<object>();
        var writers = new[] { new Writer(Sys, pid, reports), new Writer(_other, pid, reports) };
        // Both start at once, so that both recover the same (empty) journal and race for sequence number 1.
        foreach (var w in writers) w.EnsureRunning();
        var next = 0;
        foreach (var step in steps)
        {
            var writer = writers[step.Writer];
            writer.EnsureRunning();
            var events = Enumerable.Range(0, step.Events).Select(_ => (object)$"w{step.Writer}-{next++}").ToArray();
            writer.Actor.Tell(events.Length == 1 ? new PersistOne(events[0]) : new PersistMany(events));
            if (step.Settle) writer.Settle();
        }
        foreach (var w in writers) w.Settle();

        var entries = Storage.ReadJournalKeyAsync(pid, Sys.Serialization).GetAwaiter().GetResult();
        var highest = (string?)Storage.Db.StringGet(Storage.HighestSequenceNrKey(pid));
        var failures = reports.OfType<Failed>().ToList();
        return (Verdict(entries, highest, reports.OfType<Persisted>().ToList(), failures), failures.Count);
    }

    private static string? Verdict(List<(long SequenceNr, IPersistentRepresentation Persistent)> entries,
        string? highest, List<Persisted> persisted, List<Failed> failures)
    {
        var scores = entries.Select(e => e.SequenceNr).ToArray();
        if (!scores.SequenceEqual(Enumerable.Range(1, scores.Length).Select(i => (long)i)))
            return $"stored sequence numbers are not 1..{scores.Length} once each: {string.Join(",", scores)}";
        if (entries.FirstOrDefault(e => e.Persistent.SequenceNr != e.SequenceNr) is { Persistent: not null } bad)
            return $"event {bad.Persistent.SequenceNr} scored {bad.SequenceNr}";
        if (highest != (scores.Length == 0 ? null : scores.Length.ToString()))
            return $"highestSequenceNr is {highest ?? "absent"}, the last event {scores.Length}";
        var payloads = entries.Select(e => e.Persistent.Payload).ToList();
        if (payloads.Distinct().Count() != payloads.Count) return "an event is stored twice";
        foreach (var p in persisted)
            if (p.SequenceNr > payloads.Count || !Equals(payloads[(int)p.SequenceNr - 1], p.Event))
                return $"{p.Event} was persisted at {p.SequenceNr} but the journal holds " +
                       $"{(p.SequenceNr > payloads.Count ? "nothing" : payloads[(int)p.SequenceNr - 1])} there";
        if (failures.FirstOrDefault(f => f.Cause is not JournalWriteConflictException) is { } other)
            return $"{other.Event} failed for another reason than a refused write: {other.Cause}";
        return null;
    }

    /// <summary>One writer's persistent actor, started again (so recovering) once a refused write stopped it.</summary>
    private sealed class Writer(ActorSystem system, string pid, ConcurrentQueue<object> reports)
    {
        private readonly IActorRef _reporter = system.ActorOf(Akka.Actor.Props.Create(() => new Collector(reports)));
        private Task _stopped = Task.CompletedTask;

        public IActorRef Actor { get; private set; } = ActorRefs.Nobody;

        public void EnsureRunning()
        {
            // A stop not yet seen here: what is sent meanwhile goes to dead letters, as to a downed node's singleton.
            if (!_stopped.IsCompleted) return;
            Actor = system.ActorOf(EventLogActor.Props(pid, _reporter));
            _stopped = Actor.WatchAsync();
        }

        /// <summary>Until the actor has handled everything sent to it (it answers once its persists are done) or stopped.</summary>
        public void Settle()
        {
            if (_stopped.IsCompleted) return;
            using var cancel = new CancellationTokenSource();
            var answered = Actor.Ask<State>(new GetState(), Long, cancel.Token);
            if (!Task.WhenAny(answered, _stopped).Wait(Long)) throw new TimeoutException($"{pid}: a writer did not settle");
            cancel.Cancel();
        }
    }

    private sealed class Collector(ConcurrentQueue<object> reports) : UntypedActor
    {
        protected override void OnReceive(object message) => reports.Enqueue(message);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _other.Terminate().Wait(Long);
        base.Dispose(disposing);
    }
}
