namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>
/// The shared journal cases on Redis, plus the key layout of the official Akka.Persistence.Redis plugin, which this
/// one keeps: a sorted set of serialized envelopes scored by sequence number, and the highest sequence number beside it.
/// </summary>
public abstract class RedisJournalConformanceSpec(RedisServer server, ITestOutputHelper output, int replayPageSize)
    : JournalConformanceSpec<RedisStorage>(new RedisStorage(server, replayPageSize), output, RedisPersistenceSpec.SystemName)
{
    [Fact]
    public async Task Stores_events_in_the_official_plugins_key_layout()
    {
        var entries = await Storage.ReadJournalKeyAsync(Pid, Sys.Serialization);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, entries.Select(e => e.SequenceNr).ToArray());
        foreach (var (seqNr, persistent) in entries)
        {
            Assert.Equal(seqNr, persistent.SequenceNr);
            Assert.Equal("a-" + seqNr, persistent.Payload);
            Assert.Equal(Pid, persistent.PersistenceId);
            Assert.Equal(WriterGuid, persistent.WriterGuid);
        }
        Assert.Equal("5", (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(Pid)));
        Assert.Equal(RedisType.SortedSet, await Storage.Db.KeyTypeAsync(Storage.JournalKey(Pid)));
    }

    [Fact]
    public void Replays_events_written_directly_in_the_official_plugins_layout()
    {
        // Data moved from Akka.Persistence.Redis: members are Akka's persistence serialization of the envelope.
        var pid = Pid + "-migrated";
        var serializer = Sys.Serialization.FindSerializerForType(typeof(Persistent));
        for (var i = 1; i <= 3; i++)
            Storage.Db.SortedSetAdd(Storage.JournalKey(pid), serializer.ToBinary(Event("m-" + i, i, pid)), i);
        Storage.Db.StringSet(Storage.HighestSequenceNrKey(pid), "3");

        Replay(1, long.MaxValue, long.MaxValue, pid);
        for (var i = 1; i <= 3; i++)
        {
            var n = i;
            ReceiverProbe.ExpectMsg<ReplayedMessage>(m => m.Persistent.Payload.Equals("m-" + n) &&
                                                         m.Persistent.SequenceNr == n);
        }
        ReceiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 3);
    }

    [Fact]
    public void Deleting_removes_the_events_from_the_sorted_set_and_keeps_the_highest_sequence_number_key()
    {
        Journal.Tell(new DeleteMessagesTo(Pid, 3, ReceiverProbe.Ref));
        ReceiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Assert.Equal(new long[] { 4, 5 },
            Storage.Db.SortedSetRangeByRankWithScores(Storage.JournalKey(Pid)).Select(e => (long)e.Score).ToArray());
        Assert.Equal("5", (string?)Storage.Db.StringGet(Storage.HighestSequenceNrKey(Pid)));
    }
}

/// <summary>The journal cases with the default replay page (1000 events per round trip).</summary>
public sealed class JournalConformanceTests(RedisFixture redis, ITestOutputHelper output)
    : RedisJournalConformanceSpec(redis.Server, output, replayPageSize: 1000), IClassFixture<RedisFixture>;

/// <summary>
/// The same cases with pages of 2 events, so that every bound and count limit crosses page boundaries (the official
/// plugin reads the whole range at once; this one pages).
/// </summary>
public sealed class JournalConformanceSmallPageTests(RedisFixture redis, ITestOutputHelper output)
    : RedisJournalConformanceSpec(redis.Server, output, replayPageSize: 2), IClassFixture<RedisFixture>;
