using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Downing;
using Pharos.Persistence.Redis;
using StackExchange.Redis;

namespace Pharos.CloudNode.Persistence;

/// <summary>
/// The split brain resolver's tie-break in the Redis both cloud nodes share (<see cref="QuorumLease"/>): one key,
/// <c>{prefix}lease:{name}</c>, set to the owner if absent (or renewed by the same owner), lapsing after its TTL, and
/// deleted on release only by its owner. Each operation is one script, so two sides cannot both take it.
/// </summary>
public sealed class RedisLeaseArbiter(string configuration, string keyPrefix) : ILeaseArbiter, IAsyncDisposable
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

    private readonly Lazy<Task<ConnectionMultiplexer>> _connection =
        new(() => ConnectionMultiplexer.ConnectAsync(RedisConnection.Parse(configuration)));

    public static string KeyFor(string keyPrefix, string leaseName) => $"{keyPrefix}lease:{leaseName}";

    public async Task<bool> TryAcquireAsync(string leaseName, string owner, TimeSpan ttl)
    {
        var db = (await _connection.Value).GetDatabase();
        var taken = await db.ScriptEvaluateAsync(AcquireScript, [KeyFor(keyPrefix, leaseName)],
            [owner, (long)Math.Max(1, ttl.TotalMilliseconds)]);
        return (long)taken == 1;
    }

    public async Task ReleaseAsync(string leaseName, string owner)
    {
        var db = (await _connection.Value).GetDatabase();
        await db.ScriptEvaluateAsync(ReleaseScript, [KeyFor(keyPrefix, leaseName)], [owner]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated) await (await _connection.Value).DisposeAsync();
    }
}

public static class LeaseArbiter
{
    /// <summary>With Redis, this cloud node arbitrates the split brain resolver's ties (<see cref="QuorumLease"/>).</summary>
    public static AkkaConfigurationBuilder WithLeaseArbiter(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        settings.Redis is null
            ? builder
            : builder.WithActors((system, _, resolver) =>
                system.ActorOf(LeaseArbiterActor.Props(resolver.GetService<RedisLeaseArbiter>()), QuorumLease.ArbiterName));

    public static IServiceCollection AddLeaseArbiter(this IServiceCollection services, PharosSettings settings)
    {
        if (settings.Redis is { } redis) services.AddSingleton(new RedisLeaseArbiter(redis, settings.RedisKeyPrefix));
        return services;
    }
}
