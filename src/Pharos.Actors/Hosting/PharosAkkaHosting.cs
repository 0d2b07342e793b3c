using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Edge;
using Pharos.Actors.Ingest;
using Pharos.Actors.Membership;
using Pharos.Actors.Membership.Transport;
using Pharos.Actors.Queue;
using Pharos.Actors.Status;
using Pharos.Messages;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Hosting;

/// <summary>Keys for <see cref="ActorRegistry"/> lookups of the cloud's actors.</summary>
public sealed class QueueProxy;

/// <summary>How each node wires Pharos into its actor system; both node hosts call these.</summary>
public static class PharosAkkaHosting
{
    public const string SystemName = "pharos";
    public const string CloudRole = Pharos.Security.ClusterRoles.Cloud;
    public const string EdgeRole = Pharos.Security.ClusterRoles.Edge;
    public const int DefaultCloudPort = 4053;

    /// <summary>Where the HOCON files of hocon/ are, beside the binary.</summary>
    public static string HoconFile(string name) => Path.Combine(AppContext.BaseDirectory, "hocon", name);

    /// <summary>
    /// Remoting, clustering, logging and serialization as typed options from the settings; hocon/pharos.base.hocon
    /// for what Akka.Hosting has no typed option for (the lease-majority split brain resolver, DotNetty pooling...).
    /// </summary>
    public static AkkaConfigurationBuilder WithPharosNode(this AkkaConfigurationBuilder builder, PharosSettings settings,
        string role)
    {
        var cluster = settings.Cluster;
        // An edge without seeds looks for a cloud node on this machine, at the cloud's default address.
        var seeds = cluster.Seeds.Count == 0 && role == EdgeRole ? [$"127.0.0.1:{DefaultCloudPort}"] : cluster.Seeds;
        builder
            .AddHoconFile(HoconFile("pharos.base.hocon"), HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = LogLevel.InfoLevel;
                loggers.AddLoggerFactory();
            })
            // LeaseMajorityOption has no stable-after (nor the lease-majority settings of pharos.base.hocon).
            .AddHocon($"akka.cluster.split-brain-resolver.stable-after = {(long)cluster.DownAfter.TotalSeconds}s", HoconAddMode.Prepend)
            .AddHocon($"akka.cluster.split-brain-resolver.down-all-when-unstable = {(long)DownAllWhenUnstable(cluster.DownAfter).TotalSeconds}s",
                HoconAddMode.Prepend)
            .WithPharosSerializer()
            .WithClusterEndpoint(cluster, role)
            .WithClustering(new ClusterOptions
            {
                Roles = [role],
                SeedNodes = seeds.Select(seed => SeedAddress(seed, cluster.Tls is not null)).ToArray(),
                // A single cloud node is a whole cluster: it must not wait for peers that do not exist.
                MinimumNumberOfMembers = 1,
                // Edges are laptops that sleep: a missed heartbeat marks them unreachable quickly; the split brain
                // resolver then gives them DownAfter before it downs them.
                FailureDetector = new PhiAccrualFailureDetectorOptions { AcceptableHeartbeatPause = TimeSpan.FromSeconds(5) },
            });

        builder.WithActors((system, _, resolver) =>
            ExitIfShutdownHangs(system, ShutdownDeadline, resolver.GetService<IHostApplicationLifetime>()));
        // Allowed by PHAROS_CLUSTER_INSECURE, never silent: said at every start (and in GET /cluster/members).
        if (cluster.Insecure) builder.AddStartup((system, _) => system.Log.Warning("{0}", cluster.InsecureWarning));
        if (cluster.Tls is { } tls)
        {
            // Every node proves which certificate it holds; cloud nodes down a member whose certificate does not
            // grant the role it claims.
            builder.WithActors((system, _) =>
            {
                system.ActorOf(IdentityActor.Props(tls), IdentityActor.Name);
                if (role == CloudRole) system.ActorOf(RoleGuard.Props(tls), "pharos-role-guard");
            });
        }
        if (seeds.Count == 0)
        {
            // No seeds: this node is its own cluster. Joining the address it actually bound also works with port 0.
            builder.AddStartup((system, _) => Cluster.Get(system).Join(Cluster.Get(system).SelfAddress));
        }
        return builder;
    }

    /// <summary>
    /// Every remote message, persisted event and snapshot of Pharos (<see cref="IPharosMessage"/>) through
    /// <see cref="PharosSerializer"/>: JSON under explicit, versioned manifests, with the serializer id
    /// (<see cref="PharosSerializer.Id"/>) that the journal stores beside every event.
    /// </summary>
    public static AkkaConfigurationBuilder WithPharosSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("pharos", [typeof(IPharosMessage)], system => new PharosSerializer(system));

    /// <summary>
    /// The process exit code for why <paramref name="system"/> stopped: 0 for a stop that was asked for, Akka's own
    /// code otherwise (3 downed; 79 when the node refused a peer's certificate before any TLS handshake of its own
    /// succeeded: <see cref="ClusterTlsRefusedReason"/>), so a supervisor restarts it.
    /// </summary>
    public static int ExitCode(ActorSystem system) => CoordinatedShutdown.Get(system).ShutdownReason?.ExitCode ?? 0;

    /// <summary>The address scheme of a Pharos node: akka.ssl.tcp with mutual TLS on, akka.tcp otherwise.</summary>
    public static string Protocol(bool tls) => tls ? "akka.ssl.tcp" : "akka.tcp";

    /// <summary>`host:port` becomes akka[.ssl].tcp://pharos@host:port; a full akka address is taken as it is.</summary>
    public static string SeedAddress(string seed, bool tls) =>
        seed.Contains("://", StringComparison.Ordinal) ? seed : $"{Protocol(tls)}://{SystemName}@{seed}";

    /// <summary>
    /// The cluster endpoint: Akka's DotNetty TCP transport, or with <see cref="ClusterMemberSettings.Tls"/> Pharos's
    /// <see cref="MutualTlsTransport"/> (why not DotNetty's TLS: its remarks), where both ends present a certificate and
    /// each accepts the other's only if it chains to PHAROS_TLS_CA. Host names are not checked: a certificate from the
    /// private CA is the identity, and edges are reached at addresses that change.
    /// </summary>
    private static AkkaConfigurationBuilder WithClusterEndpoint(this AkkaConfigurationBuilder builder, ClusterMemberSettings settings,
        string role)
    {
        var host = settings.ClusterHost;
        var port = settings.ClusterPort ?? (role == CloudRole ? DefaultCloudPort : 0);
        // Frames carry at most a task and its status; 1 MiB leaves room and bounds what a peer can make us buffer.
        const int maxFrameSize = 1024 * 1024;
        builder.WithRemoting(new RemoteOptions { HostName = host, Port = port, MaxFrameSize = maxFrameSize });
        if (settings.Tls is not { } tls) return builder;
        return builder
            .AddSetup(new ClusterTlsSetup(tls))
            .AddHocon($$"""
                        akka.remote.enabled-transports = ["{{MutualTlsTransport.ConfigPath}}"]
                        {{MutualTlsTransport.ConfigPath}} { hostname = "{{host}}", port = {{port}}, maximum-frame-size = {{maxFrameSize}}b }
                        """, HoconAddMode.Prepend);
    }

    /// <summary>QueueActor, supervised, as a cluster singleton on the cloud role.</summary>
    public static AkkaConfigurationBuilder WithQueueSingleton(this AkkaConfigurationBuilder builder, PharosSettings settings)
    {
        return builder.WithSingleton<QueueProxy>(QueueActor.PersistenceIdValue, (system, _, resolver) =>
                QueueActor.SupervisedProps(settings.Queue, resolver.GetService<TimeProvider>(), DistributedPubSub.Get(system).Mediator,
                    resolver.GetService<IQueueMetrics>(), new RepoUrlSyntax(settings.Repositories)),
            new ClusterSingletonOptions { Role = CloudRole });
    }

    /// <summary>The cloud's per-node actors: the ingest gateway and the status read model.</summary>
    public static AkkaConfigurationBuilder WithCloudActors(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var queue = registry.Get<QueueProxy>();
            var mediator = DistributedPubSub.Get(system).Mediator;
            var clock = resolver.GetService<TimeProvider>();
            registry.Register<IngestGateway>(system.ActorOf(IngestGateway.Props(
                resolver.GetService<RepoUrlValidator>(), queue, mediator, clock), "ingest-gateway"));
            registry.Register<StatusTracker>(system.ActorOf(
                StatusTracker.Props(queue, mediator, clock, settings.Queue.MaxQueueSize), "status-tracker"));
        });

    /// <summary>The queue singleton's proxy on a node that never hosts the queue (an edge).</summary>
    public static AkkaConfigurationBuilder WithQueueProxy(this AkkaConfigurationBuilder builder) =>
        builder.WithSingletonProxy<QueueProxy>(QueueActor.PersistenceIdValue, new ClusterSingletonOptions
        {
            Role = CloudRole,
            // Messages held while the queue is being found or handed over (Akka's default holds 1000).
            BufferSize = 100,
        });

    /// <summary>
    /// <see cref="EdgeSettings.Workers"/> WorkerActors pulling from the queue (through the proxy that
    /// <see cref="WithQueueProxy"/> or <see cref="WithQueueSingleton"/> registered). Work directories left by a
    /// crashed process are deleted first.
    /// </summary>
    public static AkkaConfigurationBuilder WithEdgeWorkers(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var queue = registry.Get<QueueProxy>();
            var mediator = DistributedPubSub.Get(system).Mediator;
            var clock = resolver.GetService<TimeProvider>();
            // The edge's own allow-list, the same settings the cloud reads: a task it refuses fails without a clone.
            var validator = new RepoUrlValidator(settings.Repositories, resolver.GetService<HostResolver>());
            var first = WorkerSettings.From(settings, 1);
            var purged = WorkDirectories.PurgeLeftovers(first.WorkRoot);
            if (purged > 0) system.Log.Warning("Deleted {0} work directories left by an earlier run in {1}", purged, first.WorkRoot);
            for (var index = 1; index <= settings.Edge.Workers; index++)
            {
                var worker = WorkerSettings.From(settings, index);
                system.ActorOf(WorkerActor.Props(worker, queue, mediator, clock, WorkerActor.DefaultStages(worker, validator, system)),
                    $"worker-{index}");
            }
        });

    public static AkkaConfigurationBuilder WithEdgeWorkersIf(this AkkaConfigurationBuilder builder, bool condition,
        PharosSettings settings) =>
        condition ? builder.WithEdgeWorkers(settings) : builder;

    /// <summary>
    /// How long past stable-after the split brain resolver may go without a decision before it downs every node.
    /// Akka's default (3/4 of stable-after, at least 4 s) is shorter than a tie's decision can take: the side that
    /// waits (acquire-lease-delay-for-minority, 2 s) then asks the lease in Redis (lease-operation-timeout, 8 s). With
    /// the default, a loaded cloud node whose twin was killed downed the whole cluster while its lease was on the way
    /// (an end-to-end test, DownAfter 3 s). The default plus those 10 s keeps the precaution for a network that never
    /// settles and lets a tie be decided.
    /// </summary>
    public static TimeSpan DownAllWhenUnstable(TimeSpan downAfter) =>
        TimeSpan.FromSeconds(Math.Max(4, Math.Ceiling(downAfter.TotalSeconds * 3 / 4))) + TimeSpan.FromSeconds(10);

    /// <summary>How long a node's shutdown may take before the process exits anyway (<see cref="ExitIfShutdownHangs"/>).</summary>
    public static readonly TimeSpan ShutdownDeadline = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Once the node's shutdown begins, the process exits with the shutdown's code unless, within
    /// <paramref name="deadline"/>, its actor system has terminated and its host has stopped (an edge then builds a new
    /// system and rejoins; a cloud node returns its code). A supervisor (systemd) restarts the node on the code (3:
    /// downed). Partition tests found cloud nodes, restarted after kill -9 and then downed, that never exited: their
    /// remoting was down and nothing more happened, no host stop, no exit, so nothing restarted them and the cluster
    /// never had its cloud node back. Earlier versions of this deadline (a thread pool timer, then
    /// <c>Environment.Exit</c>, whose exit handlers wait for the very host and shutdown that hang) did not end them, nor
    /// did they cover a system that terminated while its host never stopped. The watchdog is a thread of its own,
    /// armed by whichever comes first of the shutdown's first phase, the cluster removing the node, the system
    /// terminating and the host stopping; it ends the process with <see cref="ImmediateExit"/>.
    /// </summary>
    /// <param name="host">The host's lifetime (none: the system's termination is enough).</param>
    /// <param name="exit">Ends the process with a code and says why (tests record it instead).</param>
    public static void ExitIfShutdownHangs(ActorSystem system, TimeSpan deadline, IHostApplicationLifetime? host,
        Action<int, string>? exit = null)
    {
        exit ??= ImmediateExit.Exit;
        var shutdown = CoordinatedShutdown.Get(system);
        var begun = new ManualResetEventSlim();
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "pharos-exit-deadline", () =>
        {
            begun.Set();
            return Task.FromResult(Akka.Done.Instance);
        });
        Cluster.Get(system).RegisterOnMemberRemoved(begun.Set);
        system.WhenTerminated.ContinueWith(_ => begun.Set(), TaskScheduler.Default);
        var hostStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (host is null) hostStopped.SetResult();
        else
        {
            host.ApplicationStopping.Register(begun.Set);
            host.ApplicationStopped.Register(() => hostStopped.TrySetResult());
        }
        var stopped = Task.WhenAll(system.WhenTerminated, hostStopped.Task);
        var watchdog = new Thread(() =>
        {
            begun.Wait();
            if (stopped.Wait(deadline)) return;
            var code = ExitCode(system);
            exit(code, $"pharos: the node's shutdown ({shutdown.ShutdownReason}) did not end within {deadline.TotalSeconds:0} s " +
                       $"(actor system {(system.WhenTerminated.IsCompleted ? "terminated" : "not terminated")}, host " +
                       $"{(hostStopped.Task.IsCompleted ? "stopped" : "not stopped")}); exiting with code {code}");
        })
        { IsBackground = true, Name = "pharos-exit-deadline" };
        watchdog.Start();
    }

    /// <summary>
    /// Until the host stops, or the actor system terminates on its own (the cluster downed the node) and the host is
    /// then stopped here. A partition test found a cloud node whose system had shut down after being downed while its
    /// host kept running, never told: the process never exited, so nothing restarted it and the cluster never
    /// converged.
    /// </summary>
    public static async Task WaitForShutdownAsync(IHost host, IHostApplicationLifetime lifetime, ActorSystem system)
    {
        var shutdown = host.WaitForShutdownAsync();
        if (await Task.WhenAny(shutdown, system.WhenTerminated).ConfigureAwait(false) == shutdown)
        {
            await shutdown.ConfigureAwait(false);
            return;
        }
        lifetime.StopApplication();
        await shutdown.ConfigureAwait(false);
    }

    /// <summary>The plain services the cloud's actors and endpoints share (authentication is the HTTP layer's own).</summary>
    public static IServiceCollection AddPharosCloudServices(this IServiceCollection services, PharosSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        // The system's DNS, unless a HostResolver was registered (a test that controls name resolution). Real time,
        // not the node's TimeProvider: the lookup's timeout guards network I/O.
        services.AddSingleton(provider => new RepoUrlValidator(settings.Repositories, provider.GetService<HostResolver>()));
        // A node that exports metrics registers its own before this; the rest measure nothing.
        services.TryAddSingleton<IQueueMetrics>(NoQueueMetrics.Instance);
        return services;
    }
}
