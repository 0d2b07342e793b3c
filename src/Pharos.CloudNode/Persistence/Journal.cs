using Pharos.Actors.Results;
using Pharos.CloudNode.Health;
using Pharos.CloudNode.ResultStorage;
using Pharos.Persistence.Redis.Hosting;

namespace Pharos.CloudNode.Persistence;

/// <summary>
/// Where the cloud node keeps its queue and its results: Redis when PHAROS_REDIS is set, else SQLite files under
/// PHAROS_DATA_DIR.
/// </summary>
public static class Journal
{
    /// <summary>The chosen journal and snapshot store.</summary>
    public static AkkaConfigurationBuilder WithJournal(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        settings.Storage.Redis is { } redis
            ? builder.WithRedisPersistence(redis, settings.Storage.RedisKeyPrefix)
            : builder.WithEmbeddedJournal(settings.Storage);

    /// <summary>
    /// The health checks service, with the store's own check: Redis must answer PING for `/ready`. Either journal is
    /// also checked through the queue answering from it (<see cref="NodeHealth"/>).
    /// </summary>
    public static IServiceCollection AddJournalHealthChecks(this IServiceCollection services, PharosSettings settings)
    {
        var checks = services.AddHealthChecks();
        if (settings.Storage.Redis is not null) checks.AddRedisPersistenceCheck(NodeHealth.Ready, NodeHealth.Journal);
        return services;
    }

    /// <summary>The result store beside the journal: in the same Redis (its own connection) or its own SQLite file.</summary>
    public static IServiceCollection AddResultStore(this IServiceCollection services, PharosSettings settings)
    {
        services.AddSingleton(_ => new ResultCache());
        return settings.Storage.Redis is { } redis
            ? services.AddSingleton<IResultStore>(provider => RedisResultStore.Connect(redis, settings.Storage.RedisKeyPrefix,
                settings.Results.Keep, provider.GetRequiredService<ResultCache>()))
            : services.AddSingleton<IResultStore>(provider => new SqliteResultStore(settings.Storage.DataDirFull,
                settings.Results.Keep, provider.GetRequiredService<ResultCache>()));
    }
}
