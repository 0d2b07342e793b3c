using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.Actors.Queue;
using Pharos.CloudNode.Persistence;
using Pharos.Messages;

namespace Pharos.Dashboard.Tests.Support;

/// <summary>
/// Writes queue events into a data directory's embedded journal, as an earlier release (or another client) may have
/// left them there: what today's gateway and queue would refuse to write, but a node must still show safely.
/// </summary>
public static class OldJournal
{
    public static async Task WriteAsync(string dataDir, params IPersistedEvent[] events)
    {
        var storage = PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection([new("PHAROS_DATA_DIR", dataDir)]).Build()).Storage;
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka
            .WithPharosSerializer()
            .WithEmbeddedJournal(storage)
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new Writer(events, written)))));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            await written.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>The queue's persistence id, appending the events after whatever the journal holds.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        public override string PersistenceId => QueueActor.PersistenceIdValue;

        public Writer(IPersistedEvent[] events, TaskCompletionSource written)
        {
            Recover<RecoveryCompleted>(_ => Self.Tell(Go.Instance));
            Recover<object>(_ => { });
            Command<Go>(_ =>
            {
                PersistAll(events, _ => { });
                DeferAsync(Go.Instance, _ => written.TrySetResult());
            });
        }

        private sealed class Go
        {
            public static readonly Go Instance = new();
        }
    }
}
