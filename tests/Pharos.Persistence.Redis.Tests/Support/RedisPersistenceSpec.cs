using Pharos.Persistence.Testing;

namespace Pharos.Persistence.Redis.Tests.Support;

/// <summary>
/// Base of the Redis-only specs (settings, chaos, long journals): the shared <see cref="PluginSpec{TStorage}"/> on a
/// <see cref="RedisStorage"/> of the test's own.
/// </summary>
public abstract class RedisPersistenceSpec(RedisServer server, ITestOutputHelper output, string? extraConfig = null,
    bool captureAkkaLog = true)
    : PluginSpec<RedisStorage>(new RedisStorage(server), output, SystemName, extraConfig, captureAkkaLog)
{
    public const string SystemName = "redis-spec";

    /// <summary>
    /// For the chaos tests: Akka's circuit breakers in front of the plugins stay open 30 s after 10 failures by default,
    /// longer than a test waits once redis-server is back; 1 s here, so that the recovery right after a restart is
    /// bounded by the client's reconnection, which is what these tests look at.
    /// </summary>
    public const string ShortCircuitBreakers = """
        akka.persistence.journal.redis.circuit-breaker { max-failures = 10, call-timeout = 10s, reset-timeout = 1s }
        akka.persistence.snapshot-store.redis.circuit-breaker { max-failures = 5, call-timeout = 20s, reset-timeout = 1s }
        """;

    protected RedisServer Server => Storage.Server;

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
}
