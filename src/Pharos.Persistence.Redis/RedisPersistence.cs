using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis;

/// <summary>
/// The connection string given in code rather than in HOCON, so that its password never sits in the actor
/// system's configuration (which Akka can print). Plugins whose configuration-string is empty use it.
/// </summary>
public sealed class RedisPersistenceSetup(string configurationString) : Setup
{
    public string ConfigurationString { get; } = configurationString;
}

/// <summary>
/// One connection (multiplexer) per actor system and connection string, shared by the journal, the snapshot store
/// and the health check. StackExchange.Redis multiplexes every caller over it and reconnects by itself.
/// </summary>
public sealed class RedisPersistence : IExtension
{
    private readonly ExtendedActorSystem _system;
    private readonly ConcurrentDictionary<string, Lazy<Task<ConnectionMultiplexer>>> _connections = new(StringComparer.Ordinal);

    public RedisPersistence(ExtendedActorSystem system)
    {
        _system = system;
        system.Settings.InjectTopLevelFallback(DefaultConfig());
        system.RegisterOnTermination(() =>
        {
            foreach (var connection in _connections.Values.Where(c => c.IsValueCreated && c.Value.IsCompletedSuccessfully))
                connection.Value.Result.Dispose();
        });
    }

    public static RedisPersistence Get(ActorSystem system) => system.WithExtension<RedisPersistence, RedisPersistenceProvider>();

    public static Config DefaultConfig() =>
        ConfigurationFactory.FromResource<RedisPersistence>("Pharos.Persistence.Redis.reference.conf");

    /// <summary>The configuration string a plugin uses: its own, else the one of <see cref="RedisPersistenceSetup"/>.</summary>
    public string ConfigurationStringFor(RedisPluginSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.ConfigurationString)) return settings.ConfigurationString;
        return _system.Settings.Setup.Get<RedisPersistenceSetup>().Value?.ConfigurationString
               ?? throw new ConfigurationException(
                   "Pharos.Persistence.Redis has no connection: set configuration-string or add a RedisPersistenceSetup.");
    }

    /// <summary>The database a plugin reads and writes, on the shared connection.</summary>
    public async Task<IDatabase> DatabaseAsync(RedisPluginSettings settings)
    {
        var configuration = ConfigurationStringFor(settings);
        var options = RedisConnection.Parse(configuration);
        var connection = await _connections.GetOrAdd(configuration,
            _ => new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(options))).Value.ConfigureAwait(false);
        var database = settings.Database >= 0 ? settings.Database : options.DefaultDatabase ?? 0;
        return connection.GetDatabase(database);
    }
}

public sealed class RedisPersistenceProvider : ExtensionIdProvider<RedisPersistence>
{
    public override RedisPersistence CreateExtension(ExtendedActorSystem system) => new(system);
}
