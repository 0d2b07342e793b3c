using System.Collections.Immutable;

namespace Pharos.Persistence.Redis.Tests.Settings;

/// <summary>The database setting: events and snapshots land in the database it names.</summary>
public sealed class DatabaseSettingTests(RedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output, """
        akka.persistence.journal.redis.database = 3
        akka.persistence.snapshot-store.redis.database = 3
        """), IClassFixture<RedisFixture>
{
    [Fact]
    public void Writes_events_and_snapshots_to_the_configured_database()
    {
        var probe = WriteOneEventAndOneSnapshot();

        var db3 = Storage.Db.Multiplexer.GetDatabase(3);
        Assert.Equal(1, db3.SortedSetLength(Storage.JournalKey(Pid)));
        Assert.Equal(1, db3.SortedSetLength(Storage.SnapshotKey(Pid)));
        Assert.False(Storage.Db.KeyExists(Storage.JournalKey(Pid)));
        Assert.False(Storage.Db.KeyExists(Storage.SnapshotKey(Pid)));

        Journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<ReplayedMessage>(m => m.Persistent.Payload.Equals("a-1"));
        probe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 1);
    }
}

/// <summary>database = -1 takes the connection string's defaultDatabase.</summary>
public sealed class DefaultDatabaseFromConnectionStringTests(RedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output, $$"""
        akka.persistence.journal.redis.configuration-string = "{{redis.Server.ConnectionString}},defaultDatabase=5"
        """), IClassFixture<RedisFixture>
{
    [Fact]
    public void Uses_the_connection_strings_default_database()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[]
        {
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(
                new Persistent("a-1", 1, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid),
                new Persistent("a-2", 2, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid))),
        }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        Assert.Equal(2, Storage.Db.Multiplexer.GetDatabase(5).SortedSetLength(Storage.JournalKey(Pid)));
        Assert.Equal("2", (string?)Storage.Db.Multiplexer.GetDatabase(5).StringGet(Storage.HighestSequenceNrKey(Pid)));
        Assert.False(Storage.Db.KeyExists(Storage.JournalKey(Pid)));
    }
}

/// <summary>The journal and the snapshot store of one actor system share one connection (multiplexer).</summary>
public sealed class SharedConnectionTests(RedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output), IClassFixture<RedisFixture>
{
    [Fact]
    public async Task Journal_and_snapshot_store_share_one_multiplexer()
    {
        WriteOneEventAndOneSnapshot();

        // Each multiplexer opens an interactive and a subscription connection; two multiplexers would open four.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Server.ConnectionString + ",allowAdmin=true");
        var clients = await admin.GetServer(admin.GetEndPoints()[0]).ClientListAsync();
        var plugin = clients.Count(c => c.Name == "pharos-persistence");
        TestOutput.WriteLine(string.Join("\n", clients.Select(c => c.Raw)));
        Assert.InRange(plugin, 1, 2);
    }
}
