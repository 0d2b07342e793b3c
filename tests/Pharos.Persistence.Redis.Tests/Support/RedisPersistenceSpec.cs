using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis.Tests.Support;

/// <summary>
/// Base of every spec here: an actor system whose journal and snapshot store are the Redis plugins, pointed at a real
/// redis-server, with a key prefix of its own per test (so tests sharing a server never see each other's keys).
/// Mirrors the TCK's PluginSpec: <see cref="Pid"/>, <see cref="WriterGuid"/>, <see cref="ActorInstanceId"/>,
/// <see cref="Subscribe{T}"/>, plus a StackExchange.Redis connection to assert the key layout directly.
/// </summary>
public abstract class RedisPersistenceSpec : Akka.TestKit.Xunit2.TestKit
{
    private static int _counter;
    private readonly Lazy<ConnectionMultiplexer> _redis;

    protected RedisPersistenceSpec(RedisServer server, ITestOutputHelper output, string? extraConfig = null,
        string? keyPrefix = null)
        : this(server, output, keyPrefix ?? NewKeyPrefix(), extraConfig)
    {
    }

    private RedisPersistenceSpec(RedisServer server, ITestOutputHelper output, string keyPrefix, string? extraConfig)
        : base(PluginConfig(server, keyPrefix, extraConfig), "redis-spec", output)
    {
        Server = server;
        KeyPrefix = keyPrefix;
        Pid = "p-" + Interlocked.Increment(ref _counter);
        WriterGuid = Guid.NewGuid().ToString();
        _redis = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(server.ConnectionString));
    }

    protected RedisServer Server { get; }
    protected string KeyPrefix { get; }
    protected string Pid { get; }
    protected string WriterGuid { get; }
    protected int ActorInstanceId => 1;

    protected Akka.Persistence.Persistence Extension => Akka.Persistence.Persistence.Instance.Apply(Sys);
    protected IActorRef Journal => Extension.JournalFor(null);
    protected IActorRef SnapshotStore => Extension.SnapshotStoreFor(null);

    /// <summary>A direct connection to the server (database 0), for asserting what the plugin wrote.</summary>
    protected IDatabase Db => _redis.Value.GetDatabase();

    protected string JournalKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}";
    protected string HighestSequenceNrKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}:highestSequenceNr";
    protected string SnapshotKey(string pid) => $"{KeyPrefix}snapshot:{pid}";

    protected void Subscribe<T>(IActorRef subscriber) => Sys.EventStream.Subscribe(subscriber, typeof(T));

    public static string NewKeyPrefix() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    /// <summary>The plugin settings of the brief, plus what the TCK turns on (publish-plugin-commands).</summary>
    public static Config PluginConfig(RedisServer server, string keyPrefix, string? extraConfig = null,
        int replayPageSize = 1000)
    {
        var hocon = $$"""
            akka.loglevel = INFO
            akka.stdout-loglevel = INFO
            akka.actor.serializers {
              failing = "{{typeof(FailingSerializer).AssemblyQualifiedName}}"
              manifested = "{{typeof(ManifestedSerializer).AssemblyQualifiedName}}"
            }
            akka.actor.serialization-bindings {
              "{{typeof(Unserializable).AssemblyQualifiedName}}" = failing
              "{{typeof(ManifestedEvent).AssemblyQualifiedName}}" = manifested
            }
            akka.persistence {
              publish-plugin-commands = on
              journal {
                plugin = "akka.persistence.journal.redis"
                redis {
                  class = "Pharos.Persistence.Redis.Journal.RedisJournal, Pharos.Persistence.Redis"
                  plugin-dispatcher = "akka.actor.default-dispatcher"
                  configuration-string = "{{server.ConnectionString}}"
                  database = -1
                  key-prefix = "{{keyPrefix}}"
                  replay-page-size = {{replayPageSize}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.redis"
                redis {
                  class = "Pharos.Persistence.Redis.Snapshot.RedisSnapshotStore, Pharos.Persistence.Redis"
                  plugin-dispatcher = "akka.actor.default-dispatcher"
                  configuration-string = "{{server.ConnectionString}}"
                  database = -1
                  key-prefix = "{{keyPrefix}}"
                }
              }
            }
            """;
        var config = ConfigurationFactory.ParseString(hocon);
        return extraConfig is null ? config : ConfigurationFactory.ParseString(extraConfig).WithFallback(config);
    }

    /// <summary>Deserializes a journal member as the plugin stores it: Akka's own persistence serializer.</summary>
    protected IPersistentRepresentation FromJournalMember(byte[] bytes)
    {
        var serializer = Sys.Serialization.FindSerializerForType(typeof(Persistent));
        return (IPersistentRepresentation)serializer.FromBinary(bytes, typeof(Persistent));
    }

    /// <summary>Every (score, member) of a journal key, in score order, read in pages.</summary>
    protected async Task<List<(long SequenceNr, IPersistentRepresentation Persistent)>> ReadJournalKeyAsync(
        string pid, IDatabase? db = null)
    {
        db ??= Db;
        var result = new List<(long, IPersistentRepresentation)>();
        const int page = 2000;
        for (long skip = 0; ; skip += page)
        {
            var entries = await db.SortedSetRangeByRankWithScoresAsync(JournalKey(pid), skip, skip + page - 1);
            foreach (var e in entries) result.Add(((long)e.Score, FromJournalMember((byte[])e.Element!)));
            if (entries.Length < page) return result;
        }
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing && _redis.IsValueCreated) _redis.Value.Dispose();
        }
        finally
        {
            base.Dispose(disposing);
        }
    }
}
