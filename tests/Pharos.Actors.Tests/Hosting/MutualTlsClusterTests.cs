using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Hosting;

namespace Pharos.Actors.Tests.Hosting;

/// <summary>
/// In-process nodes wired by <see cref="PharosAkkaHosting.WithPharosNode"/> over loopback: with certificates from our
/// CA they form a cluster over akka.ssl.tcp; a node whose certificate comes from another CA, or a node without TLS,
/// never becomes a member. Each refusal is awaited as the event it is (the cloud's log), beside a good edge that joins
/// at the same time, and then the member list is read.
/// </summary>
public sealed class MutualTlsClusterTests(TestCertificates certs) : IClassFixture<TestCertificates>, IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly List<IHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in Enumerable.Reverse(_hosts))
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private async Task<ActorSystem> StartAsync(PharosSettings settings, string role)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, role));
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host.Services.GetRequiredService<ActorSystem>();
    }

    /// <summary>The cloud alone (its own seed), and what an edge puts in PHAROS_SEEDS to reach it.</summary>
    private async Task<(ActorSystem System, string Seed)> StartCloudAsync()
    {
        var cloud = await StartAsync(certs.Settings("cloud", ("PHAROS_CLUSTER_PORT", "0")), PharosAkkaHosting.CloudRole);
        await MemberUpAsync(cloud);
        return (cloud, $"127.0.0.1:{Cluster.Get(cloud).SelfAddress.Port}");
    }

    private static Task MemberUpAsync(ActorSystem system)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task.WaitAsync(Deadline);
    }

    /// <summary>The first warning logged on <paramref name="system"/> that contains <paramref name="text"/>.</summary>
    private static Task<Warning> WarningAsync(ActorSystem system, string text)
    {
        var seen = new TaskCompletionSource<Warning>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = system.ActorOf(Props.Create(() => new WarningWatcher(text, seen)));
        // Subscribed here, before the caller starts what it waits for, so no warning can come too early.
        system.EventStream.Subscribe(watcher, typeof(Warning));
        return seen.Task.WaitAsync(Deadline);
    }

    private sealed class WarningWatcher : ReceiveActor
    {
        public WarningWatcher(string text, TaskCompletionSource<Warning> seen) =>
            Receive<Warning>(w => w.Message?.ToString()?.Contains(text, StringComparison.Ordinal) == true, w => seen.TrySetResult(w));
    }

    private static IReadOnlyList<Address> Members(ActorSystem system) =>
        Cluster.Get(system).State.Members.Select(m => m.Address).OrderBy(a => a.Port).ToList();

    private static IReadOnlyList<Address> Addresses(params ActorSystem[] systems) =>
        systems.Select(s => Cluster.Get(s).SelfAddress).OrderBy(a => a.Port).ToList();

    [Fact]
    public async Task Nodes_of_one_ca_form_a_cluster_and_a_certificate_of_another_ca_is_refused()
    {
        var (cloud, seed) = await StartCloudAsync();
        var refused = WarningAsync(cloud, "'OU=pharos-edge, CN=intruder' does not chain to the cluster CA");

        // The intruder even trusts our CA, so it accepts the cloud: only the cloud's check of its certificate stops it.
        using var intruderCertificate = certs.Issue("intruder", certs.OtherCa);
        var plain = TestCertificates.Read(("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed));
        var intruderSettings = plain with { Cluster = plain.Cluster with { Tls = new ClusterTls(intruderCertificate, certs.Ca) } };
        var intruder = await StartAsync(intruderSettings, PharosAkkaHosting.EdgeRole);
        var edge = await StartAsync(certs.Settings("edge", ("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);

        await MemberUpAsync(edge);
        await refused;
        Assert.Equal("akka.ssl.tcp", Cluster.Get(cloud).SelfAddress.Protocol);
        Assert.Equal(Addresses(cloud, edge), Members(cloud));
        Assert.DoesNotContain(Cluster.Get(intruder).SelfAddress, Members(edge));
    }

    [Fact]
    public async Task A_node_without_tls_cannot_join_a_tls_cloud()
    {
        var (cloud, seed) = await StartCloudAsync();
        var rejected = WarningAsync(cloud, "due to TLS handshake failure");

        var plain = await StartAsync(TestCertificates.Read(("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);
        var edge = await StartAsync(certs.Settings("edge", ("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);

        await MemberUpAsync(edge);
        await rejected;
        Assert.Equal("akka.tcp", Cluster.Get(plain).SelfAddress.Protocol);
        Assert.Equal(Addresses(cloud, edge), Members(cloud));
    }
}
