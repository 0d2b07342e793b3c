using Akka.TestKit;
using Pharos.Persistence.Redis.Journal;
using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>
/// Two writers of one persistence id, as two cluster singletons on either side of a network partition are until the
/// split brain resolver downs one: a write is refused when the journal already holds its first sequence number, so the
/// sequence numbers never fork, and the writer that lost stops and recovers the other's events.
/// </summary>
public sealed class TwoWritersTests(RedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output), IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Of_two_actors_that_recovered_the_same_events_one_writes_the_next_and_the_other_stops_and_recovers_it()
    {
        var (seed, seedReporter) = Start(Pid);
        seedReporter.ExpectMsg<Recovered>(Long);
        seed.Tell(new PersistMany(["e-1", "e-2", "e-3"]));
        for (var i = 1; i <= 3; i++) seedReporter.ExpectMsg<Persisted>(Long);
        await seed.GracefulStop(Long);

        var other = ActorSystem.Create("other-side", Sys.Settings.Config);
        try
        {
            var systems = new[] { Sys, other };
            var writers = systems.Select(s => Start(Pid, s)).ToArray();
            foreach (var (actor, reporter) in writers)
            {
                Assert.Equal(3, reporter.ExpectMsg<Recovered>(Long).LastSequenceNr);
                reporter.Watch(actor);
            }

            // Both persist sequence number 4 at once.
            for (var w = 0; w < 2; w++) writers[w].Actor.Tell(new PersistOne($"from-{w}"));
            var outcomes = writers.Select(w => w.Reporter.ExpectMsg<object>(m => m is Persisted or Failed, Long)).ToArray();
            Assert.Single(outcomes.OfType<Persisted>());
            var winner = Array.FindIndex(outcomes, o => o is Persisted);
            var loser = 1 - winner;
            Assert.Equal(new Persisted($"from-{winner}", 4), outcomes[winner]);
            var failed = Assert.IsType<Failed>(outcomes[loser]);
            Assert.Equal(($"from-{loser}", 4L), (failed.Event, failed.SequenceNr));
            var conflict = Assert.IsType<JournalWriteConflictException>(failed.Cause);
            Assert.Equal((Pid, 4L, 4L, 4L), (conflict.PersistenceId, conflict.StoredHighestSequenceNr,
                conflict.LowestSequenceNr, conflict.HighestSequenceNr));
            Assert.Contains(Pid, conflict.Message);
            writers[loser].Reporter.ExpectTerminated(writers[loser].Actor, Long);

            await AssertOneEventPerSequenceNrAsync(["e-1", "e-2", "e-3", $"from-{winner}"]);

            // The loser, started again by its supervisor, recovers the winner's event and writes after it.
            var (again, againReporter) = Start(Pid, systems[loser]);
            var recovered = againReporter.ExpectMsg<Recovered>(Long);
            Assert.Equal(new object[] { "e-1", "e-2", "e-3", $"from-{winner}" }, recovered.Events);
            Assert.Equal(4, recovered.LastSequenceNr);
            again.Tell(new PersistOne($"again-{loser}"));
            againReporter.ExpectMsg(new Persisted($"again-{loser}", 5), Long);

            // Now the first winner is the one behind: its next write is refused in turn.
            writers[winner].Actor.Tell(new PersistOne($"late-{winner}"));
            var late = writers[winner].Reporter.ExpectMsg<Failed>(Long);
            Assert.Equal((5L, 5L), (((JournalWriteConflictException)late.Cause).StoredHighestSequenceNr, late.SequenceNr));
            writers[winner].Reporter.ExpectTerminated(writers[winner].Actor, Long);

            await AssertOneEventPerSequenceNrAsync(["e-1", "e-2", "e-3", $"from-{winner}", $"again-{loser}"]);
        }
        finally
        {
            await other.Terminate().WaitAsync(Long);
        }
    }

    [Fact]
    public async Task A_call_whose_first_sequence_number_is_already_stored_is_refused_whole_and_writes_nothing()
    {
        Write(Single("a", 1), Single("a", 2), Single("a", 3)).ExpectMsg<WriteMessagesSuccessful>();

        // A call of two atomic writes of the id, the first at 3: neither lands, not even 4, which is past the stored 3.
        var probe = Write(Single("x", 3), Single("x", 4));
        var conflict = Assert.IsType<JournalWriteConflictException>(probe.ExpectMsg<WriteMessagesFailed>(Long).Cause);
        Assert.Equal((Pid, 3L, 3L, 4L), (conflict.PersistenceId, conflict.StoredHighestSequenceNr,
            conflict.LowestSequenceNr, conflict.HighestSequenceNr));
        probe.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 3 && m.Cause == conflict);
        probe.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 4 && m.Cause == conflict);

        await AssertOneEventPerSequenceNrAsync(["a-1", "a-2", "a-3"]);
    }

    [Fact]
    public async Task The_stored_highest_is_the_last_event_when_the_highest_sequence_number_key_is_missing()
    {
        // Events written by a tool that keeps no counter, as the journal serializes them (Akka.Persistence binds its
        // serializer once it starts: before, Persistent would get the default JSON one).
        _ = Journal;
        var serializer = Sys.Serialization.FindSerializerForType(typeof(Persistent));
        for (var i = 1; i <= 3; i++)
            await Storage.Db.SortedSetAddAsync(Storage.JournalKey(Pid), serializer.ToBinary(Event("a-" + i, i)), i);

        var refused = Write(Single("x", 2)).ExpectMsg<WriteMessagesFailed>(Long);
        Assert.Equal(3, ((JournalWriteConflictException)refused.Cause).StoredHighestSequenceNr);

        Write(Single("a", 4)).ExpectMsg<WriteMessagesSuccessful>(Long);
        await AssertOneEventPerSequenceNrAsync(["a-1", "a-2", "a-3", "a-4"]);
    }

    [Fact]
    public async Task After_every_event_is_deleted_a_write_at_or_below_the_kept_highest_sequence_number_is_refused()
    {
        Write(Single("a", 1), Single("a", 2), Single("a", 3)).ExpectMsg<WriteMessagesSuccessful>(Long);
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(Long);

        var refused = Write(Single("x", 3)).ExpectMsg<WriteMessagesFailed>(Long);
        Assert.Equal(3, ((JournalWriteConflictException)refused.Cause).StoredHighestSequenceNr);

        Write(Single("a", 4)).ExpectMsg<WriteMessagesSuccessful>(Long);
        Assert.Equal(new long[] { 4 }, await ReadStoredSequenceNrsAsync(Pid));
        Assert.Equal("4", (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(Pid)));
    }

    [Fact]
    public async Task Writes_go_on_after_redis_forgot_the_script()
    {
        Write(Single("a", 1)).ExpectMsg<WriteMessagesSuccessful>(Long);
        // What a restarted redis-server answers too: NOSCRIPT to the EVALSHA of a script it no longer has.
        Assert.Equal("+OK", await Server.CommandAsync("SCRIPT", "FLUSH"));
        Write(Single("a", 2)).ExpectMsg<WriteMessagesSuccessful>(Long);
        await AssertOneEventPerSequenceNrAsync(["a-1", "a-2"]);
    }

    [Fact]
    public void Calls_sent_while_the_connection_opens_are_written_in_order()
    {
        // A fresh journal receives ten calls before it has a connection: were they sent in another order, a later
        // one would get an earlier one refused.
        var probe = CreateTestProbe();
        for (var i = 1; i <= 10; i++)
            Journal.Tell(new WriteMessages(new[] { Single("a", i) }, probe.Ref, ActorInstanceId));
        for (var i = 1; i <= 10; i++)
        {
            probe.ExpectMsg<WriteMessagesSuccessful>(Long);
            probe.ExpectMsg<WriteMessageSuccess>();
        }
    }

    private AtomicWrite Single(string prefix, long seqNr) => new(Event($"{prefix}-{seqNr}", seqNr));

    private TestProbe Write(params AtomicWrite[] writes)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, probe.Ref, ActorInstanceId));
        return probe;
    }

    /// <summary>The journal holds <paramref name="payloads"/> at 1, 2, …, one member per score, and the counter the last.</summary>
    private async Task AssertOneEventPerSequenceNrAsync(object[] payloads)
    {
        var entries = await Storage.ReadJournalKeyAsync(Pid, Sys.Serialization);
        Assert.Equal(Enumerable.Range(1, payloads.Length).Select(i => (long)i), entries.Select(e => e.SequenceNr));
        Assert.Equal(entries.Select(e => e.SequenceNr), entries.Select(e => e.Persistent.SequenceNr));
        Assert.Equal(payloads, entries.Select(e => e.Persistent.Payload));
        Assert.Equal(payloads.Length.ToString(),
            (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(Pid)));
    }
}
