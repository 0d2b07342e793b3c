using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Hosting;
using Pharos.Actors.Membership.Transport;

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

    private async Task<ActorSystem> StartAsync(PharosSettings settings, string role, string hocon = "")
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, role).AddHocon(hocon, HoconAddMode.Prepend));
        var host = builder.Build();
        _hosts.Add(host);
        await host.StartAsync();
        return host.Services.GetRequiredService<ActorSystem>();
    }

    /// <summary>The cloud alone (its own seed), and what an edge puts in PHAROS_SEEDS to reach it.</summary>
    private async Task<(ActorSystem System, string Seed)> StartCloudAsync(string hocon = "")
    {
        var cloud = await StartAsync(certs.Settings("cloud", ("PHAROS_CLUSTER_PORT", "0")), PharosAkkaHosting.CloudRole, hocon);
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
        var rejected = WarningAsync(cloud, "Turned away a cluster connection");

        var plain = await StartAsync(TestCertificates.Read(("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);
        var edge = await StartAsync(certs.Settings("edge", ("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);

        await MemberUpAsync(edge);
        await rejected;
        Assert.Equal("akka.tcp", Cluster.Get(plain).SelfAddress.Protocol);
        Assert.Equal(Addresses(cloud, edge), Members(cloud));
    }

    [Fact]
    public async Task A_peer_that_goes_away_mid_handshake_fails_that_connection_only()
    {
        var (cloud, seed) = await StartCloudAsync();
        var edge = await StartAsync(certs.Settings("edge", ("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);
        await MemberUpAsync(edge);
        // What a member that is shutting down does to a connection it had just accepted (and a rogue one at will):
        // closes it in the middle of the TLS handshake.
        using var closer = new TcpListener(IPAddress.Loopback, 0);
        closer.Start();
        var port = ((IPEndPoint)closer.LocalEndpoint).Port;
        var closed = Task.Run(async () =>
        {
            using var socket = await closer.AcceptSocketAsync();
            await socket.ReceiveAsync(new byte[512]);
            socket.Close();
        });
        var unreachable = WarningAsync(edge, $"Tried to associate with unreachable remote address [akka.ssl.tcp://pharos@127.0.0.1:{port}]");

        edge.ActorSelection($"akka.ssl.tcp://pharos@127.0.0.1:{port}/user/anyone").Tell("hello");

        await closed.WaitAsync(Deadline);
        await unreachable;
        // Akka.NET's own TLS transport stops the whole node here (exit 79); this node only gave up that connection.
        Assert.Null(CoordinatedShutdown.Get(edge).ShutdownReason);
        Assert.Equal(MemberStatus.Up, Cluster.Get(edge).SelfMember.Status);
        Assert.Equal(Addresses(cloud, edge), Members(cloud));
    }

    [Fact]
    public async Task A_node_that_refuses_its_seeds_certificate_stops_with_exit_code_79()
    {
        var (cloud, seed) = await StartCloudAsync();
        // Each side refuses the other's certificate; only the one that has never made a connection stops.
        var refused = WarningAsync(cloud, "'OU=pharos-edge, CN=stranger' does not chain to the cluster CA");
        var strangerPfx = certs.WritePfx("stranger", certs.OtherCa);
        var stranger = await StartAsync(TestCertificates.Read(("PHAROS_TLS_CERT", strangerPfx), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password),
            ("PHAROS_TLS_CA", certs.OtherCaPath), ("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_SEEDS", seed)), PharosAkkaHosting.EdgeRole);

        await stranger.WhenTerminated.WaitAsync(Deadline);
        var reason = Assert.IsType<ClusterTlsRefusedReason>(CoordinatedShutdown.Get(stranger).ShutdownReason);
        Assert.Equal(79, reason.ExitCode);
        Assert.Contains("does not chain to the cluster CA", reason.ToString(), StringComparison.Ordinal);
        await refused;
        Assert.Null(CoordinatedShutdown.Get(cloud).ShutdownReason);
        Assert.Equal(Addresses(cloud), Members(cloud));
    }

    [Fact]
    public async Task A_frame_above_the_maximum_closes_that_connection_and_the_node_goes_on()
    {
        var (cloud, _) = await StartCloudAsync();
        var port = Cluster.Get(cloud).SelfAddress.Port!.Value;
        var oversized = WarningAsync(cloud, "above maximum-frame-size");
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(certs.WritePfx("edge-raw"), TestCertificates.Password);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [certificate],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        // A member in good standing (a certificate of the CA) that announces a 2 GB frame.
        await tls.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff });
        await tls.FlushAsync();

        await oversized;
        Assert.Equal(0, await tls.ReadAsync(new byte[16]).AsTask().WaitAsync(Deadline));
        Assert.Null(CoordinatedShutdown.Get(cloud).ShutdownReason);
        Assert.Equal(MemberStatus.Up, Cluster.Get(cloud).SelfMember.Status);
    }

    [Fact]
    public async Task A_connection_that_never_starts_its_handshake_is_turned_away_after_the_handshake_timeout()
    {
        var (cloud, _) = await StartCloudAsync("akka.remote.pharos-tls.handshake-timeout = 1s");
        var port = Cluster.Get(cloud).SelfAddress.Port!.Value;
        var turnedAway = WarningAsync(cloud, "Turned away a cluster connection");
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, port);

        await turnedAway;
        Assert.Equal(0, await silent.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(Deadline));
        Assert.Null(CoordinatedShutdown.Get(cloud).ShutdownReason);
    }
}
