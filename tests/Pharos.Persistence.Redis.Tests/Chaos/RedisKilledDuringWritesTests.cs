using System.Collections.Immutable;
using Akka.TestKit;
using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Redis.Tests.Chaos;

/// <summary>
/// redis-server is killed (kill -9) while persistent actors and a raw journal client write: every write in flight
/// surfaces as a persist failure, and (after the AOF is reloaded) every atomic write in Redis is whole.
/// </summary>
public sealed class RedisKilledDuringWritesTests(AofRedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output, ShortCircuitBreakers), IClassFixture<AofRedisFixture>
{
    private const int Writers = 4;
    private const int BatchSize = 10;
    private const int DirectAtomicWriteSize = 100;
    private const int DirectAtomicWritesPerCall = 5;

    private sealed record DirectWriterProgress(int ConfirmedAtomicWrites);
    private sealed record DirectWriterStopped(int ConfirmedAtomicWrites, int SentAtomicWrites, object Failure);

    /// <summary>
    /// Writes to the journal actor with the protocol messages, 5 atomic writes of 100 events per WriteMessages, one
    /// call after the other, until a call fails; then tells the reporter how many atomic writes were confirmed.
    /// </summary>
    private sealed class DirectWriter : UntypedActor
    {
        private readonly string _pid;
        private readonly IActorRef _journal;
        private readonly IActorRef _reporter;
        private readonly string _writerGuid = Guid.NewGuid().ToString();
        private int _sent, _confirmedEvents, _expectedEvents;

        public DirectWriter(string pid, IActorRef journal, IActorRef reporter)
        {
            _pid = pid;
            _journal = journal;
            _reporter = reporter;
        }

        protected override void PreStart() => SendNext();

        private void SendNext()
        {
            var writes = new List<AtomicWrite>();
            for (var w = 0; w < DirectAtomicWritesPerCall; w++, _sent++)
            {
                var aw = _sent;
                writes.Add(new AtomicWrite(Enumerable.Range(1, DirectAtomicWriteSize)
                    .Select(i => (IPersistentRepresentation)new Persistent($"d{aw:D5}-{i}",
                        (long)aw * DirectAtomicWriteSize + i, _pid, string.Empty, false, ActorRefs.NoSender, _writerGuid))
                    .ToImmutableList()));
            }
            _expectedEvents += DirectAtomicWritesPerCall * DirectAtomicWriteSize;
            _journal.Tell(new WriteMessages(writes, Self, 1));
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case WriteMessagesSuccessful:
                    break;
                case WriteMessageSuccess:
                    if (++_confirmedEvents == _expectedEvents)
                    {
                        _reporter.Tell(new DirectWriterProgress(_confirmedEvents / DirectAtomicWriteSize));
                        SendNext();
                    }
                    break;
                case WriteMessagesFailed or WriteMessageFailure or WriteMessageRejected:
                    _reporter.Tell(new DirectWriterStopped(_confirmedEvents / DirectAtomicWriteSize, _sent, message));
                    Context.Stop(Self);
                    break;
            }
        }
    }

    [Fact]
    public async Task Writes_in_flight_when_redis_is_killed_fail_as_persist_failures_and_no_batch_is_half_written()
    {
        var pids = Enumerable.Range(1, Writers).Select(i => $"{Pid}-a{i}").ToArray();
        var directPid = $"{Pid}-direct";
        var reporter = CreateTestProbe();
        var writers = pids.Select(pid => Sys.ActorOf(EventLogActor.Props(pid, reporter.Ref))).ToArray();
        for (var i = 0; i < Writers; i++) reporter.ExpectMsg<Recovered>(TimeSpan.FromSeconds(10));
        foreach (var w in writers) reporter.Watch(w);

        // Each actor gets far more PersistAll batches than it can write before the kill: they queue in its stash and
        // are written one after the other, so a write is in flight at any moment.
        for (var b = 0; b < 3000; b++)
            for (var w = 0; w < Writers; w++)
                writers[w].Tell(new PersistMany(Enumerable.Range(1, BatchSize).Select(i => (object)$"{pids[w]}|b{b:D5}-{i}").ToArray()));
        var directReporter = CreateTestProbe();
        var direct = Sys.ActorOf(Akka.Actor.Props.Create(() => new DirectWriter(directPid, Journal, directReporter.Ref)));

        // Let some batches through, then kill -9 the server mid-stream.
        var confirmed = pids.ToDictionary(p => p, _ => new List<string>());
        while (confirmed.Values.Sum(c => c.Count) < 400)
        {
            var p = reporter.ExpectMsg<Persisted>(TimeSpan.FromSeconds(10));
            var s = (string)p.Event;
            confirmed[s.Split('|')[0]].Add(s);
        }
        directReporter.FishForMessage(m => m is DirectWriterProgress { ConfirmedAtomicWrites: >= 15 },
            TimeSpan.FromSeconds(20));
        await Server.KillAsync();
        var killedAt = DateTime.UtcNow;

        // Every actor reports OnPersistFailure (for each event of the batch in flight) and stops.
        var failures = pids.ToDictionary(p => p, _ => new List<Failed>());
        var stopped = new HashSet<IActorRef>();
        while (stopped.Count < Writers)
        {
            var msg = FishMessages(reporter, TimeSpan.FromSeconds(40));
            switch (msg)
            {
                case Persisted p:
                    // confirmed just before the kill
                    var s = (string)p.Event;
                    confirmed[s.Split('|')[0]].Add(s);
                    break;
                case Failed f:
                    failures[((string)f.Event).Split('|')[0]].Add(f);
                    break;
                case Terminated t:
                    stopped.Add(t.ActorRef);
                    break;
                case Rejected r:
                    Assert.Fail($"a write that failed because redis-server was gone surfaced as OnPersistRejected " +
                                $"(the actor goes on as if the event were bad), not OnPersistFailure: {r.Cause}");
                    break;
            }
        }
        TestOutput.WriteLine($"all writers failed and stopped {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill");
        foreach (var pid in pids)
        {
            Assert.True(failures[pid].Count > 0, $"{pid}: no OnPersistFailure after redis-server was killed");
            // The failure is for the whole batch in flight: its events, in order, and none of them was confirmed.
            // (Akka stops the actor on the first WriteMessageFailure, so one OnPersistFailure per actor is usual.)
            var failedBatch = failures[pid].Select(f => BatchOf((string)f.Event)).Distinct().ToArray();
            Assert.Single(failedBatch);
            Assert.DoesNotContain(confirmed[pid], e => BatchOf(e) == failedBatch[0]);
        }
        var directStopped = (DirectWriterStopped)directReporter.FishForMessage(m => m is DirectWriterStopped,
            TimeSpan.FromSeconds(40));
        TestOutput.WriteLine($"direct writer: {directStopped.ConfirmedAtomicWrites} of {directStopped.SentAtomicWrites} " +
                         $"atomic writes confirmed; stopped on {directStopped.Failure.GetType().Name}");
        Assert.IsNotType<WriteMessageRejected>(directStopped.Failure);

        // Bring the server back from its append-only file and look at what it holds.
        await Server.RestartAsync();
        Storage.ReconnectDirectConnection();
        await Task.Delay(500); // anything the client still had queued would land now
        foreach (var pid in pids)
        {
            var entries = await Storage.ReadJournalKeyAsync(pid, Sys.Serialization);
            AssertSequenceNumbersMatchScores(pid, entries);
            var byBatch = entries.GroupBy(e => BatchOf((string)e.Persistent.Payload)).ToList();
            foreach (var batch in byBatch)
                Assert.True(batch.Count() == BatchSize,
                    $"{pid}: batch {batch.Key} is half written: {batch.Count()} of {BatchSize} events in Redis");
            var stored = entries.Select(e => (string)e.Persistent.Payload).ToHashSet();
            Assert.All(confirmed[pid], e => Assert.Contains(e, stored)); // confirmed ⇒ durable (appendfsync always)
            Assert.Equal(entries.Count == 0 ? null : entries[^1].SequenceNr.ToString(),
                (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(pid)));
        }
        {
            var entries = await Storage.ReadJournalKeyAsync(directPid, Sys.Serialization);
            AssertSequenceNumbersMatchScores(directPid, entries);
            var byWrite = entries.GroupBy(e => BatchOf((string)e.Persistent.Payload)).ToList();
            foreach (var aw in byWrite)
                Assert.True(aw.Count() == DirectAtomicWriteSize,
                    $"direct: atomic write {aw.Key} is half written: {aw.Count()} of {DirectAtomicWriteSize} events");
            Assert.True(byWrite.Count >= directStopped.ConfirmedAtomicWrites,
                $"direct: {directStopped.ConfirmedAtomicWrites} atomic writes confirmed, {byWrite.Count} in Redis");
        }

        // New incarnations recover exactly what Redis holds and write again (the client reconnected).
        var reporter2 = CreateTestProbe();
        foreach (var pid in pids)
        {
            var stored = (await Storage.ReadJournalKeyAsync(pid, Sys.Serialization)).Select(e => e.Persistent.Payload).ToArray();
            var (actor, recovered) = RecoverOnceReconnected(pid, reporter2);
            Assert.Equal(stored, recovered.Events);
            actor.Tell(new PersistOne($"{pid}|after-restart"));
            reporter2.ExpectMsg<Persisted>(p => p.Event.Equals($"{pid}|after-restart"), TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>"p-1-a2|b00017-4" → "p-1-a2|b00017"; "d00003-57" → "d00003".</summary>
    private static string BatchOf(string payload) => payload[..payload.LastIndexOf('-')];

    private static void AssertSequenceNumbersMatchScores(string pid,
        List<(long SequenceNr, IPersistentRepresentation Persistent)> entries)
    {
        foreach (var (score, p) in entries)
            Assert.True(score == p.SequenceNr, $"{pid}: member with sequence number {p.SequenceNr} scored {score}");
        Assert.True(entries.Select(e => e.SequenceNr).Distinct().Count() == entries.Count,
            $"{pid}: two members share a sequence number");
    }

    private static object FishMessages(TestProbe probe, TimeSpan timeout) => probe.ReceiveOne(timeout)
        ?? throw new TimeoutException($"nothing arrived within {timeout.TotalSeconds} s after redis-server was killed");
}
