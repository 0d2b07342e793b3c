using Akka.Actor;
using Pharos.Actors.Configuration;
using Pharos.Actors.Edge.Jobs;
using Pharos.Actors.Hosting;
using Pharos.EdgeNode;

// `job clone|analyze`: one stage of one task, in the process a worker started for it.
if (args is ["job", .. var job]) return JobHost.Run(job);

// The edge node: joins the cloud's cluster with role `edge` and runs workers that pull tasks from the queue.
PharosSettings settings;
try
{
    // The same sources a host reads (appsettings.json, environment, command line), read once up front.
    settings = PharosSettings.From(Host.CreateApplicationBuilder(NodeHostArguments.ReadSettingsOnce(args)).Configuration);
    settings.Cluster.RequireRole(PharosAkkaHosting.EdgeRole);
}
catch (SettingsException e)
{
    await Console.Error.WriteLineAsync($"pharos edge: {e.Message}");
    return 2;
}

// An edge that the cluster downed or removed (a laptop that slept, a network that went away) cannot rejoin with
// the same actor system: its system shuts down, and a new one joins through the seeds again. A stop asked for
// (Ctrl+C, SIGTERM) ends the process, and so does Akka stopping the node for another reason (a failed TLS handshake).
var delay = TimeSpan.FromSeconds(1);
while (true)
{
    using var host = EdgeApp.BuildHost(args, settings);
    await host.StartAsync();
    var system = host.Services.GetRequiredService<ActorSystem>();
    var shutdown = CoordinatedShutdown.Get(system);
    await PharosAkkaHosting.WaitForShutdownAsync(host, host.Services.GetRequiredService<IHostApplicationLifetime>(), system);
    if (shutdown.ShutdownReason is not (CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason))
    {
        // Not a clean stop (79: this node's TLS certificates do not match the cluster's) is not exit code 0.
        var code = PharosAkkaHosting.ExitCode(system);
        if (code != 0) await Console.Error.WriteLineAsync($"pharos edge: stopped: {shutdown.ShutdownReason}");
        return code;
    }
    await Console.Error.WriteLineAsync($"pharos edge: this node was removed from the cluster ({shutdown.ShutdownReason}); " +
                                       $"rejoining in {delay.TotalSeconds:0} s");
    await Task.Delay(delay);
    delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
}
