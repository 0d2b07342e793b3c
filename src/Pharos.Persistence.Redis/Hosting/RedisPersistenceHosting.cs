using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Pharos.Persistence.Redis.Hosting;

public static class RedisPersistenceHosting
{
    public const string JournalPluginId = "akka.persistence.journal.redis";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.redis";

    /// <summary>
    /// The Redis journal and snapshot store as the default plugins, started with the actor system. The connection
    /// string goes in as a <see cref="RedisPersistenceSetup"/>, never into HOCON, so its password is never printed.
    /// </summary>
    public static AkkaConfigurationBuilder WithRedisPersistence(this AkkaConfigurationBuilder builder, string connectionString,
        string keyPrefix = "", int database = -1)
    {
        // Fails here, at start, on a malformed string, rather than at the first write.
        RedisConnection.Parse(connectionString);
        builder.AddSetup(new RedisPersistenceSetup(connectionString));
        var prefix = "\"" + keyPrefix.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        builder.AddHocon($$"""
            akka.persistence {
              journal.plugin = "{{JournalPluginId}}"
              snapshot-store.plugin = "{{SnapshotPluginId}}"
              journal.auto-start-journals = ["{{JournalPluginId}}"]
              snapshot-store.auto-start-snapshot-stores = ["{{SnapshotPluginId}}"]
              journal.redis { key-prefix = {{prefix}}, database = {{database}} }
              snapshot-store.redis { key-prefix = {{prefix}}, database = {{database}} }
            }
            """, HoconAddMode.Prepend);
        builder.AddHocon(RedisPersistence.DefaultConfig(), HoconAddMode.Append);
        return builder;
    }

    /// <summary>The journal plugin's settings, for what else uses the journal's Redis (the health check, the cloud's lease).</summary>
    public static RedisPluginSettings JournalSettings(ActorSystem system) =>
        RedisPluginSettings.From(system.Settings.Config.GetConfig(JournalPluginId), "replay-page-size");

    /// <summary>A health check (tagged <paramref name="tags"/>) that answers healthy while Redis answers PING.</summary>
    public static IHealthChecksBuilder AddRedisPersistenceCheck(this IHealthChecksBuilder builder, params string[] tags) =>
        builder.AddCheck<RedisPersistenceHealthCheck>("redis-persistence", HealthStatus.Unhealthy, tags);
}

/// <summary>PINGs the journal's Redis over the shared connection.</summary>
public sealed class RedisPersistenceHealthCheck(ActorSystem system) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var database = await RedisPersistence.Get(system).DatabaseAsync(RedisPersistenceHosting.JournalSettings(system)).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            var latency = await database.PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"Redis answered PING in {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The message names the failure, never the connection string.
            return HealthCheckResult.Unhealthy($"Redis does not answer: {e.GetType().Name}");
        }
    }
}
