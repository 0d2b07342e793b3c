using Akka.Configuration;
using Akka.Event;

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
    private ConnectionMultiplexer? _redis;

    /// <param name="captureAkkaLog">
    /// Sends Akka's log to the test output. Xunit2's TestKit then subscribes its logger to every level, DEBUG included,
    /// whatever akka.loglevel says, and Akka logs a DEBUG line per replayed event (resolving the empty sender path):
    /// the long-journal test turns it off so that it measures the plugin, not the log.
    /// </param>
    protected RedisPersistenceSpec(RedisServer server, ITestOutputHelper output, string? extraConfig = null,
        bool captureAkkaLog = true)
        : this(server, output, extraConfig, NewKeyPrefix(), captureAkkaLog)
    {
    }

    private RedisPersistenceSpec(RedisServer server, ITestOutputHelper output, string? extraConfig, string keyPrefix,
        bool captureAkkaLog)
        : base(PluginConfig(server, keyPrefix, extraConfig), "redis-spec", captureAkkaLog ? output : null)
    {
        TestOutput = output;
        Server = server;
        KeyPrefix = keyPrefix;
        Pid = "p-" + Interlocked.Increment(ref _counter);
        WriterGuid = Guid.NewGuid().ToString();
    }

    protected RedisServer Server { get; }

    /// <summary>The test's output, also when Akka's log is not sent there.</summary>
    protected ITestOutputHelper TestOutput { get; }
    protected string KeyPrefix { get; }
    protected string Pid { get; }
    protected string WriterGuid { get; }
    protected int ActorInstanceId => 1;

    protected PersistenceExtension Extension => Akka.Persistence.Persistence.Instance.Apply(Sys);
    protected IActorRef Journal => Extension.JournalFor(null);
    protected IActorRef SnapshotStore => Extension.SnapshotStoreFor(null);

    /// <summary>A direct connection to the server (database 0), for asserting what the plugin wrote.</summary>
    protected IDatabase Db => (_redis ??= ConnectionMultiplexer.Connect(Server.ConnectionString)).GetDatabase();

    /// <summary>
    /// After redis-server was restarted, the test's own connection starts over. Its old one would reconnect on
    /// StackExchange.Redis's exponential back-off, which can outlast the 5 s command timeout when the first attempt
    /// fell while the server was down; how fast the test's client reconnects is not what any test here looks at.
    /// </summary>
    protected void ReconnectDirectConnection()
    {
        _redis?.Dispose();
        _redis = null;
    }

    protected string JournalKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}";
    protected string HighestSequenceNrKey(string pid) => $"{KeyPrefix}journal:persisted:{pid}:highestSequenceNr";
    protected string SnapshotKey(string pid) => $"{KeyPrefix}snapshot:{pid}";

    /// <summary>
    /// Writes event "a-1" of <see cref="Pid"/> and a snapshot "s-1" after it, and waits until both are stored; the probe
    /// that asked is free for more.
    /// </summary>
    protected Akka.TestKit.TestProbe WriteOneEventAndOneSnapshot()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[]
        {
            new AtomicWrite(new Persistent("a-1", 1, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid)),
        }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>();
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 1, DateTime.MinValue), "s-1"), probe.Ref);
        probe.ExpectMsg<SaveSnapshotSuccess>();
        return probe;
    }

    protected void Subscribe<T>(IActorRef subscriber) => Sys.EventStream.Subscribe(subscriber, typeof(T));

    /// <summary>
    /// For the chaos tests: Akka's circuit breakers in front of the plugins stay open 30 s after 10 failures by default,
    /// longer than a test waits once redis-server is back; 1 s here, so that the recovery right after a restart is
    /// bounded by the client's reconnection, which is what these tests look at.
    /// </summary>
    public const string ShortCircuitBreakers = """
        akka.persistence.journal.redis.circuit-breaker { max-failures = 10, call-timeout = 10s, reset-timeout = 1s }
        akka.persistence.snapshot-store.redis.circuit-breaker { max-failures = 5, call-timeout = 20s, reset-timeout = 1s }
        """;

    public static string NewKeyPrefix() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    /// <summary>The plugin settings of the brief, plus what the TCK turns on (publish-plugin-commands).</summary>
    public static Config PluginConfig(RedisServer server, string keyPrefix, string? extraConfig = null,
        int replayPageSize = 1000)
    {
        var hocon = $$"""
            akka.loglevel = INFO
            akka.stdout-loglevel = INFO
            # ExpectMsg without a timeout: the first reply of a spec includes the plugin connecting to redis-server,
            # which took over the default 3 s on a loaded CI machine. Only the wait for a failure grows.
            akka.test.single-expect-default = 10s
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

    /// <summary>
    /// Starts an <see cref="EventLogActor"/> under Akka's back-off supervisor and waits for its recovery. Right after
    /// redis-server comes back the plugin's client has not reconnected yet and fails fast (BacklogPolicy.FailFast), so
    /// a recovery then fails and the actor stops; the supervisor starts it again, as a production one would, until it
    /// recovers (within 30 s). The supervisor forwards every message to the actor it keeps.
    /// </summary>
    protected (IActorRef Actor, EventLogActor.Recovered Recovered) RecoverOnceReconnected(string pid,
        Akka.TestKit.TestProbe reporter, ActorSystem? system = null)
    {
        system ??= Sys;
        var supervisor = system.ActorOf(Akka.Pattern.BackoffSupervisor.Props(Akka.Pattern.Backoff.OnStop(
            EventLogActor.Props(pid, reporter.Ref), "log", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), 0.2,
            maxNrOfRetries: -1)));
        var recovered = (EventLogActor.Recovered)reporter.FishForMessage(m => m is EventLogActor.Recovered, TimeSpan.FromSeconds(30));
        return (supervisor, recovered);
    }

    protected override void Dispose(bool disposing)
    {
        try
        {
            if (disposing) _redis?.Dispose();
        }
        finally
        {
            base.Dispose(disposing);
        }
    }
}
