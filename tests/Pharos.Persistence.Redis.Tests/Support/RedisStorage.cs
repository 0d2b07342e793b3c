using Akka.Configuration;
using Pharos.Persistence.Testing;

namespace Pharos.Persistence.Redis.Tests.Support;

/// <summary>
/// The Redis plugins on a real redis-server, under a key prefix of this test's own (so tests sharing a server never see
/// each other's keys), with a StackExchange.Redis connection of the test's to read the key layout directly.
/// </summary>
public sealed class RedisStorage(RedisServer server, int replayPageSize = 1000) : PluginStorage
{
    private ConnectionMultiplexer? _redis;

    public RedisServer Server { get; } = server;
    public string KeyPrefix { get; } = "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    /// <summary>A direct connection to the server (database 0), for asserting what the plugin wrote.</summary>
    public IDatabase Db => (_redis ??= ConnectionMultiplexer.Connect(Server.ConnectionString)).GetDatabase();

    /// <summary>
    /// After redis-server was restarted, the test's own connection starts over. Its old one would reconnect on
    /// StackExchange.Redis's exponential back-off, which can outlast the 5 s command timeout when the first attempt
    /// fell while the server was down; how fast the test's client reconnects is not what any test here looks at.
    /// </summary>
    public void ReconnectDirectConnection()
    {
        _redis?.Dispose();
        _redis = null;
    }

    public string JournalKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}";
    public string HighestSequenceNrKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}:highestSequenceNr";
    public string SnapshotKey(string pid) => $"{KeyPrefix}snapshot:{pid}";

    public override Config PluginConfig => ConfigurationFactory.ParseString($$"""
        akka.persistence {
          journal {
            plugin = "akka.persistence.journal.redis"
            redis {
              class = "Pharos.Persistence.Redis.Journal.RedisJournal, Pharos.Persistence.Redis"
              plugin-dispatcher = "akka.actor.default-dispatcher"
              configuration-string = "{{Server.ConnectionString}}"
              database = -1
              key-prefix = "{{KeyPrefix}}"
              replay-page-size = {{replayPageSize}}
            }
          }
          snapshot-store {
            plugin = "akka.persistence.snapshot-store.redis"
            redis {
              class = "Pharos.Persistence.Redis.Snapshot.RedisSnapshotStore, Pharos.Persistence.Redis"
              plugin-dispatcher = "akka.actor.default-dispatcher"
              configuration-string = "{{Server.ConnectionString}}"
              database = -1
              key-prefix = "{{KeyPrefix}}"
            }
          }
        }
        """);

    /// <summary>Deserializes a journal member as the plugin stores it: Akka's own persistence serializer.</summary>
    public static IPersistentRepresentation FromJournalMember(byte[] bytes, Akka.Serialization.Serialization serialization)
    {
        var serializer = serialization.FindSerializerForType(typeof(Persistent));
        return (IPersistentRepresentation)serializer.FromBinary(bytes, typeof(Persistent));
    }

    /// <summary>Every (score, member) of a journal key, in score order, read in pages.</summary>
    public async Task<List<(long SequenceNr, IPersistentRepresentation Persistent)>> ReadJournalKeyAsync(string pid,
        Akka.Serialization.Serialization serialization, IDatabase? db = null)
    {
        db ??= Db;
        var result = new List<(long, IPersistentRepresentation)>();
        const int page = 2000;
        for (long skip = 0; ; skip += page)
        {
            var entries = await db.SortedSetRangeByRankWithScoresAsync(JournalKey(pid), skip, skip + page - 1);
            foreach (var e in entries) result.Add(((long)e.Score, FromJournalMember((byte[])e.Element!, serialization)));
            if (entries.Length < page) return result;
        }
    }

    public override async Task<IReadOnlyList<IPersistentRepresentation>> ReadEventsAsync(string persistenceId,
        Akka.Serialization.Serialization serialization) =>
        // The plugin removes deleted events from the sorted set: every member is one to replay.
        (await ReadJournalKeyAsync(persistenceId, serialization)).Select(e => e.Persistent).ToList();

    public override async Task<long?> ReadHighestSequenceNrAsync(string persistenceId) =>
        (long?)await Db.StringGetAsync(HighestSequenceNrKey(persistenceId));

    public override async Task<IReadOnlyList<long>> ReadSnapshotSequenceNrsAsync(string persistenceId) =>
        (await Db.SortedSetRangeByRankWithScoresAsync(SnapshotKey(persistenceId))).Select(e => (long)e.Score).ToList();

    public override async Task CorruptSnapshotAsync(string persistenceId, long sequenceNr)
    {
        // The member's bytes cut in half, inside its payload: its protobuf envelope cannot be read, and it keeps its score.
        var key = SnapshotKey(persistenceId);
        var members = await Db.SortedSetRangeByScoreAsync(key, sequenceNr, sequenceNr);
        Assert.NotEmpty(members);
        var transaction = Db.CreateTransaction();
        _ = transaction.SortedSetRemoveRangeByScoreAsync(key, sequenceNr, sequenceNr);
        _ = transaction.SortedSetAddAsync(key, ((byte[])members[0]!)[..(((byte[])members[0]!).Length / 2)], sequenceNr);
        Assert.True(await transaction.ExecuteAsync());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _redis?.Dispose();
    }
}
