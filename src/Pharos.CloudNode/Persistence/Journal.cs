using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Persistence.Redis.Hosting;

namespace Pharos.CloudNode.Persistence;

/// <summary>Where the cloud node keeps its queue: Redis when PHAROS_REDIS is set, else the embedded SQLite journal.</summary>
public static class Journal
{
    /// <summary>The chosen journal and snapshot store; with Redis, `/ready` PINGs it.</summary>
    public static AkkaConfigurationBuilder WithJournal(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        settings.Redis is { } redis
            ? builder.WithRedisPersistence(redis, settings.RedisKeyPrefix)
            : builder.WithEmbeddedJournal(settings);

    public static IServiceCollection AddJournalHealthChecks(this IServiceCollection services, PharosSettings settings)
    {
        var checks = services.AddHealthChecks();
        if (settings.Redis is not null) checks.AddRedisPersistenceCheck(ReadyTag);
        return services;
    }

    /// <summary>Health checks with this tag must pass for `/ready`.</summary>
    public const string ReadyTag = "ready";
}
