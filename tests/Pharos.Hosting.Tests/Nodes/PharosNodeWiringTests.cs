using Akka.Cluster;
using Akka.Cluster.SBR;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Edge;
using Pharos.Actors.Hosting;
using Pharos.Actors.Queue;
using Pharos.Messages.Events;
using Pharos.Messages.Serialization;

namespace Pharos.Hosting.Tests.Nodes;

/// <summary>
/// What <see cref="PharosAkkaHosting"/> wires on any node, in a real Akka.Hosting host: a node of role `cloud` that is
/// its own cluster, with the queue singleton and one worker pulling from it (as a standalone node runs them). The queue
/// journals in memory here: which journal a node uses is the cloud's wiring, tested in the cloud node's tests.
/// </summary>
public sealed class PharosNodeWiringTests : Akka.Hosting.TestKit.TestKit
{
    /// <summary>Not the 15 s of pharos.base.hocon: the split brain resolver must wait what the settings say.</summary>
    private const int DownAfterSeconds = 7;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("pharos-wiring-").FullName;
    private readonly PharosSettings _settings;

    public PharosNodeWiringTests() : base(PharosAkkaHosting.SystemName, startupTimeout: Deadline) =>
        _settings = PharosSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PHAROS_CLUSTER_HOST"] = "127.0.0.1",
            ["PHAROS_CLUSTER_PORT"] = "0",
            ["PHAROS_DATA_DIR"] = _dataDir,
            ["PHAROS_DOWN_AFTER_SECONDS"] = DownAfterSeconds.ToString(),
            ["PHAROS_WORKERS"] = "1",
            // The task names example.invalid: allowed, so the queue takes it; the worker fails it without a clone.
            ["PHAROS_ALLOWED_HOSTS"] = "example.invalid",
        }).Build());

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IQueueMetrics>(NoQueueMetrics.Instance);
    }

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) => builder
        .WithPharosNode(_settings, PharosAkkaHosting.CloudRole)
        .WithInMemoryJournal()
        .WithInMemorySnapshotStore()
        .WithQueueSingleton(_settings)
        .WithEdgeWorkers(_settings);

    [Fact]
    public void Pharos_messages_events_and_snapshots_go_through_the_Pharos_serializer()
    {
        object[] messages =
        [
            new RegisterWorker("worker-1", "akka.tcp://pharos@127.0.0.1:4053"),
            new TaskCancelled("task-1", DateTimeOffset.UnixEpoch, "admin"),
            new QueueDepthChanged(1, 0, 10, null),
        ];
        foreach (var message in messages)
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<PharosSerializer>(serializer);
            // The id is in every journal entry and remote frame written so far: it must never change.
            Assert.Equal(7311, serializer.Identifier);
        }
    }

    [Fact]
    public async Task The_node_joins_itself_with_its_role()
    {
        var cluster = Cluster.Get(Sys);
        Assert.Equal([PharosAkkaHosting.CloudRole], cluster.SelfRoles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)));
        await AwaitAssertAsync(() => Assert.Equal(MemberStatus.Up, cluster.SelfMember.Status), Deadline, cancellationToken: Cancelled);
    }

    [Fact]
    public void The_split_brain_resolver_keeps_the_cloud_majority_and_waits_as_the_settings_say()
    {
        var config = Sys.Settings.Config;
        Assert.Equal(typeof(SplitBrainResolverProvider), Cluster.Get(Sys).Settings.DowningProviderType);
        Assert.Equal("lease-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal(TimeSpan.FromSeconds(DownAfterSeconds), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal(PharosAkkaHosting.CloudRole, config.GetString("akka.cluster.split-brain-resolver.lease-majority.role"));
    }

    [Fact]
    public async Task A_registration_reaches_the_queue_singleton_through_the_registered_proxy_and_is_answered()
    {
        var queue = await ActorRegistry.GetAsync<QueueProxy>(Cancelled);
        queue.Tell(new RegisterWorker("probe-worker", "akka.tcp://pharos@127.0.0.1:1"), TestActor);
        var registered = await ExpectMsgAsync<WorkerRegistered>(Deadline, cancellationToken: Cancelled);
        Assert.Equal("probe-worker", registered.WorkerId);
    }

    [Fact]
    public async Task The_nodes_worker_registers_with_the_queue_and_is_given_a_submitted_task()
    {
        var worker = await WorkerTakesTask.ListenAsync(this, Deadline, Cancelled);
        var queue = await ActorRegistry.GetAsync<QueueProxy>(Cancelled);
        await worker.SubmitAndAwaitAsync(queue, "https://example.invalid/pharos/wiring", WorkerSettings.From(_settings, 1).WorkerId);
    }

    protected override Task AfterAllAsync()
    {
        // In the background: the worker may still hold its work directory until the system is down.
        _ = WorkDirectories.DeleteAsync(_dataDir);
        return base.AfterAllAsync();
    }
}
