using Pharos.Actors.Downing;
using Pharos.Persistence.Redis;
using Pharos.Persistence.Redis.Hosting;
using StackExchange.Redis;

namespace Pharos.CloudNode.Persistence;

/// <summary>
/// The split brain resolver's tie-break in the Redis both cloud nodes share (<see cref="QuorumLease"/>): one key,
/// <c>{prefix}lease:{name}</c>, set to the owner if absent (or renewed by the same owner), lapsing after its TTL, and
/// deleted on release only by its owner. Each operation is one script, so two sides cannot both take it.
/// </summary>
/// <param name="database">Where the key lives: the journal's database on its shared connection.</param>
public sealed class RedisLeaseArbiter(Func<Task<IDatabase>> database, string keyPrefix) : ILeaseArbiter
{
    private const string AcquireScript = """
        local holder = redis.call('GET', KEYS[1])
        if not holder or holder == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    public static string KeyFor(string keyPrefix, string leaseName) => $"{keyPrefix}lease:{leaseName}";

    public async Task<bool> TryAcquireAsync(string leaseName, string owner, TimeSpan ttl)
    {
        var db = await database();
        var taken = await db.ScriptEvaluateAsync(AcquireScript, [KeyFor(keyPrefix, leaseName)],
            [owner, (long)Math.Max(1, ttl.TotalMilliseconds)]);
        return (long)taken == 1;
    }

    public async Task ReleaseAsync(string leaseName, string owner)
    {
        var db = await database();
        await db.ScriptEvaluateAsync(ReleaseScript, [KeyFor(keyPrefix, leaseName)], [owner]);
    }

}

public static class LeaseArbiter
{
    /// <summary>With Redis, this cloud node arbitrates the split brain resolver's ties (<see cref="QuorumLease"/>).</summary>
    public static AkkaConfigurationBuilder WithLeaseArbiter(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        settings.Storage.Redis is null
            ? builder
            : builder.WithActors((system, _) =>
            {
                var journal = RedisPersistenceHosting.JournalSettings(system);
                var arbiter = new RedisLeaseArbiter(() => RedisPersistence.Get(system).DatabaseAsync(journal), journal.KeyPrefix);
                system.ActorOf(LeaseArbiterActor.Props(arbiter), QuorumLease.ArbiterName);
            });
}
