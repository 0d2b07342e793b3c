using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.CloudNode.Persistence;
using Pharos.Messages;
using Pharos.Messages.Events;
using Pharos.Persistence.Redis.Hosting;

namespace Pharos.Bench.Persistence;

/// <summary>Which journal an actor system persists to, configured exactly as the cloud node configures it.</summary>
public sealed record JournalTarget(string Name, string? Redis, string? DataDir, string KeyPrefix)
{
    public static JournalTarget From(Options options, string name) => name switch
    {
        "redis" => new JournalTarget(name, options.Required("redis"), null, options.Text("key-prefix", "bench:")),
        "sqlite" => new JournalTarget(name, null, options.Required("data-dir"), ""),
        _ => throw new BenchException($"unknown journal '{name}' (redis | sqlite)"),
    };

    /// <summary>
    /// A local (non-cluster) actor system with Pharos's serializer and the journal: Redis through
    /// <c>WithRedisPersistence</c>, SQLite through the node's own <c>EmbeddedJournal.WithEmbeddedJournal</c>
    /// (Pharos.Persistence.Sqlite, WAL, synchronous=FULL, events and snapshots in two files).
    /// </summary>
    public async Task<IHost> StartAsync()
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning))
            .ConfigureServices(services => services.AddAkka("bench", builder =>
            {
                builder.AddHocon("akka { loglevel = WARNING, stdout-loglevel = WARNING }", HoconAddMode.Prepend)
                    .WithPharosSerializer();
                if (Redis is not null) builder.WithRedisPersistence(Redis, KeyPrefix);
                else builder.WithEmbeddedJournal(StorageSettings.Default with { DataDir = DataDir! });
            }))
            .Build();
        await host.StartAsync();
        return host;
    }
}

/// <summary>The events: what the queue persists for every accepted task, through Pharos's JSON serializer.</summary>
public static class Events
{
    private static long _next;

    public static TaskEnqueued Make()
    {
        var n = Interlocked.Increment(ref _next);
        return new TaskEnqueued(Guid.NewGuid().ToString("N"), $"https://github.com/bench-org/repository-{n:D8}",
            Priority.Normal, DateTimeOffset.UtcNow, 86_400, "admin");
    }

    public static int SerializedSize(ActorSystem system)
    {
        var e = Make();
        return system.Serialization.FindSerializerFor(e).ToBinary(e).Length;
    }
}
