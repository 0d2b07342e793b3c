using Akka.Cluster;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Edge;
using Pharos.Actors.Hosting;
using Pharos.Actors.Ingest;
using Pharos.Actors.Queue;
using Pharos.Actors.Status;
using Pharos.CloudNode;
using Pharos.CloudNode.Metrics;
using Pharos.CloudNode.Persistence;
using Pharos.EdgeNode;
using Pharos.Persistence.Sqlite.Journal;
using Pharos.Persistence.Sqlite.Snapshot;

namespace Pharos.Hosting.Tests.Cloud;

/// <summary>
/// The cloud node's own AddAkka wiring (<see cref="CloudApp.ConfigureAkka"/>) in a real Akka.Hosting host, and an edge
/// node built as the edge's Program builds it (<see cref="EdgeApp.BuildHost"/>) joining it over loopback.
/// </summary>
public sealed class CloudNodeWiringTests : Akka.Hosting.TestKit.TestKit
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancelled => TestContext.Current.CancellationToken;

    private readonly string _dataDir = Directory.CreateTempSubdirectory("pharos-wiring-cloud-").FullName;
    private readonly PharosSettings _settings;

    public CloudNodeWiringTests() : base(PharosAkkaHosting.SystemName, startupTimeout: Deadline) =>
        _settings = Settings(new()
        {
            ["PHAROS_ADMIN_TOKEN"] = "wiring-admin-token-0123456789",
            ["PHAROS_DATA_DIR"] = _dataDir,
            ["PHAROS_CLUSTER_PORT"] = "0",
        });

    private static PharosSettings Settings(Dictionary<string, string?> values)
    {
        values["PHAROS_CLUSTER_HOST"] = "127.0.0.1";
        // The tasks these tests put in the queue name example.invalid: the queue checks the allow-list again, and the
        // worker then fails them without a clone (the name never resolves).
        values["PHAROS_ALLOWED_HOSTS"] = "example.invalid";
        return PharosSettings.From(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    /// <summary>What the cloud's actors resolve, registered by CloudApp's own method.</summary>
    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        CloudApp.AddCloudServices(services, _settings);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        CloudApp.ConfigureAkka(builder, _settings);

    [Fact]
    public async Task The_registry_holds_the_gateway_the_status_tracker_and_the_queue_proxy()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancelled);
        cancel.CancelAfter(Deadline);
        Assert.NotEqual(ActorRefs.Nobody, await ActorRegistry.GetAsync<IngestGateway>(cancel.Token));
        Assert.NotEqual(ActorRefs.Nobody, await ActorRegistry.GetAsync<StatusTracker>(cancel.Token));
        var queue = await ActorRegistry.GetAsync<QueueProxy>(cancel.Token);

        queue.Tell(new RegisterWorker("probe-worker", "akka.tcp://pharos@127.0.0.1:1"), TestActor);
        Assert.Equal("probe-worker", (await ExpectMsgAsync<WorkerRegistered>(Deadline, cancellationToken: Cancelled)).WorkerId);
    }

    [Fact]
    public async Task Without_PHAROS_REDIS_the_queue_journals_to_SQLite_in_the_data_directory()
    {
        var config = Sys.Settings.Config;
        Assert.Equal(SqliteJournal.PluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(SqliteSnapshotStore.PluginId, config.GetString("akka.persistence.snapshot-store.plugin"));
        Assert.Contains(Path.Combine(_settings.Storage.DataDirFull, EmbeddedJournal.JournalFile),
            config.GetString($"{SqliteJournal.PluginId}.connection-string"), StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_settings.Storage.DataDirFull, EmbeddedJournal.SnapshotFile),
            config.GetString($"{SqliteSnapshotStore.PluginId}.connection-string"), StringComparison.Ordinal);

        // Accepted means written: the queue recovered from that journal and persists to it.
        var queue = await ActorRegistry.GetAsync<QueueProxy>(Cancelled);
        queue.Tell(new EnqueueTask("https://example.invalid/pharos/journal", Priority.Normal, "wiring-test"), TestActor);
        Assert.IsType<IngestAccepted>(await ExpectMsgAsync<object>(Deadline, cancellationToken: Cancelled));
    }

    [Fact]
    public async Task Not_standalone_the_cloud_runs_no_worker_of_its_own()
    {
        await Assert.ThrowsAsync<ActorNotFoundException>(() =>
            Sys.ActorSelection("/user/worker-1").ResolveOne(TimeSpan.FromSeconds(3), Cancelled));
    }

    [Fact]
    public async Task An_edge_joins_with_its_role_and_its_worker_takes_a_task_from_the_clouds_queue()
    {
        var cloud = Cluster.Get(Sys);
        await AwaitAssertAsync(() => Assert.Equal(MemberStatus.Up, cloud.SelfMember.Status), Deadline, cancellationToken: Cancelled);
        var worker = await WorkerTakesTask.ListenAsync(this, Deadline, Cancelled);

        var edgeDir = Directory.CreateTempSubdirectory("pharos-wiring-edge-").FullName;
        var edgeSettings = Settings(new()
        {
            ["PHAROS_DATA_DIR"] = edgeDir,
            ["PHAROS_CLUSTER_PORT"] = "0",
            ["PHAROS_SEEDS"] = $"127.0.0.1:{cloud.SelfAddress.Port}",
            ["PHAROS_WORKERS"] = "1",
        });
        using var edge = EdgeApp.BuildHost([], edgeSettings);
        await edge.StartAsync(Cancelled);
        try
        {
            var edgeAddress = Cluster.Get(edge.Services.GetRequiredService<ActorSystem>()).SelfAddress;
            await AwaitAssertAsync(() => Assert.Contains(cloud.State.Members, member =>
                member.Address == edgeAddress && member.Status == MemberStatus.Up
                && member.HasRole(PharosAkkaHosting.EdgeRole) && !member.HasRole(PharosAkkaHosting.CloudRole)),
                Deadline, cancellationToken: Cancelled);

            // This cloud runs no worker of its own: the edge worker's status naming the task went edge → cloud queue →
            // edge → cloud over the wire.
            var queue = await ActorRegistry.GetAsync<QueueProxy>(Cancelled);
            await worker.SubmitAndAwaitAsync(queue, "https://example.invalid/pharos/edge", WorkerSettings.From(edgeSettings, 1).WorkerId);
        }
        finally
        {
            await edge.StopAsync(CancellationToken.None);
            _ = WorkDirectories.DeleteAsync(edgeDir);
        }
    }

    protected override Task AfterAllAsync()
    {
        _ = WorkDirectories.DeleteAsync(_dataDir);
        return base.AfterAllAsync();
    }
}
