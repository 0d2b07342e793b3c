using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;

namespace Pharos.EdgeNode;

/// <summary>Builds the edge node's host; Program runs it, tests build the same one with their own settings.</summary>
public static class EdgeApp
{
    /// <summary>One run of the edge node: a host whose actor system joins the cloud's cluster.</summary>
    public static IHost BuildHost(string[] args, PharosSettings settings)
    {
        var builder = Host.CreateApplicationBuilder(NodeHostArguments.ReadSettingsOnce(args));
        // Under systemd (deploy/systemd): ready is told with sd_notify, and log lines carry journald's levels.
        builder.Services.AddSystemd();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => ConfigureAkka(akka, settings));
        return builder.Build();
    }

    /// <summary>
    /// Role `edge`: the queue reached through the singleton proxy, the workers that pull from it, and the watcher
    /// that makes the edge rejoin when its cluster has had no cloud node for PHAROS_DOWN_AFTER_SECONDS.
    /// </summary>
    public static AkkaConfigurationBuilder ConfigureAkka(AkkaConfigurationBuilder akka, PharosSettings settings) => akka
        .WithPharosNode(settings, PharosAkkaHosting.EdgeRole)
        .WithQueueProxy()
        .WithEdgeWorkers(settings)
        .WithActors((system, _) => system.ActorOf(
            Pharos.Actors.Membership.CloudLossWatcher.Props(PharosAkkaHosting.CloudRole, settings.Cluster.DownAfter),
            Pharos.Actors.Membership.CloudLossWatcher.Name));
}
