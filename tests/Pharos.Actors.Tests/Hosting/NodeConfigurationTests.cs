using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Hosting;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Tests.Hosting;

/// <summary>
/// The configuration a real node gets from <see cref="PharosAkkaHosting.WithPharosNode"/>: the typed options, the one
/// HOCON file and the settings together, read back from the running actor system.
/// </summary>
public sealed class NodeConfigurationTests : IAsyncLifetime
{
    private IHost? _host;
    private ActorSystem _system = null!;

    public async Task InitializeAsync()
    {
        var settings = TestCertificates.Read(("PHAROS_CLUSTER_PORT", "0"), ("PHAROS_DOWN_AFTER_SECONDS", "7"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, PharosAkkaHosting.CloudRole));
        _host = builder.Build();
        await _host.StartAsync();
        _system = _host.Services.GetRequiredService<ActorSystem>();
    }

    public async Task DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }

    [Fact]
    public void Every_pharos_message_goes_through_the_pharos_serializer_under_its_stored_id()
    {
        var messages = typeof(IPharosMessage).Assembly.GetTypes()
            .Where(t => typeof(IPharosMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }).ToList();
        Assert.NotEmpty(messages);
        foreach (var type in messages)
        {
            var serializer = _system.Serialization.FindSerializerForType(type);
            Assert.IsType<PharosSerializer>(serializer);
            Assert.Equal(7311, serializer.Identifier);
        }
    }

    [Fact]
    public void The_split_brain_resolver_waits_PHAROS_DOWN_AFTER_SECONDS_and_breaks_ties_with_the_lease()
    {
        var config = _system.Settings.Config;
        Assert.Equal(TimeSpan.FromSeconds(7), config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal("lease-majority", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.Equal("cloud", config.GetString("akka.cluster.split-brain-resolver.lease-majority.role"));
        Assert.Equal("pharos.split-brain-lease", config.GetString("akka.cluster.split-brain-resolver.lease-majority.lease-implementation"));
    }

    [Fact]
    public void The_split_brain_resolver_gives_a_tie_time_to_get_the_lease_before_it_calls_the_cluster_unstable()
    {
        // As Akka reads it: 3/4 of stable-after (7 s, rounded up to 6 s) plus the minority's delay and the lease's
        // operation timeout (2 s + 8 s).
        var settings = new Akka.Cluster.SBR.SplitBrainResolverSettings(_system.Settings.Config);
        Assert.Equal(TimeSpan.FromSeconds(16), settings.DownAllWhenUnstable);
        var config = _system.Settings.Config;
        var lease = config.GetTimeSpan("pharos.split-brain-lease.lease-operation-timeout") +
                    config.GetTimeSpan("akka.cluster.split-brain-resolver.lease-majority.acquire-lease-delay-for-minority");
        Assert.True(settings.DownAllWhenUnstable > lease, $"{settings.DownAllWhenUnstable} leaves no time past the lease's {lease}");
    }

    [Fact]
    public void Typed_options_set_what_the_hocon_file_used_to()
    {
        var config = _system.Settings.Config;
        Assert.Equal(1, config.GetInt("akka.cluster.min-nr-of-members"));
        Assert.Equal(TimeSpan.FromSeconds(5), config.GetTimeSpan("akka.cluster.failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(1024 * 1024, config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size"));
        Assert.Equal("INFO", config.GetString("akka.loglevel"), ignoreCase: true);
        Assert.False(config.GetBoolean("akka.remote.dot-netty.tcp.enable-pooling"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.cluster.singleton.hand-over-retry-interval"));
    }
}
