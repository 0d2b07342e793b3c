using System.Net;
using FsCheck;

namespace Pharos.Actors.Tests.Configuration;

/// <summary>
/// PHAROS_CLUSTER_HOST beyond loopback needs mutual TLS (PHAROS_TLS_*) unless PHAROS_CLUSTER_INSECURE=true: the rule
/// is checked where the settings are read, so a node refuses to start (exit code 2) before it binds anything.
/// </summary>
public sealed class ClusterInsecureSettingsTests(TestCertificates certs) : IClassFixture<TestCertificates>
{
    private static SettingsException Refused(params (string Key, string Value)[] values) =>
        Assert.Throws<SettingsException>(() => TestCertificates.Read(values));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("localhost")]
    [InlineData("LocalHost")]
    [InlineData("::ffff:127.0.0.1")]
    public void A_loopback_host_needs_no_tls(string host)
    {
        Assert.True(ClusterMemberSettings.IsLoopback(host));
        var settings = TestCertificates.Read(("PHAROS_CLUSTER_HOST", host));
        Assert.Null(settings.Cluster.Tls);
        Assert.False(settings.Cluster.Insecure);
    }

    [Fact]
    public void The_default_host_is_loopback_and_the_default_node_is_not_insecure()
    {
        Assert.True(ClusterMemberSettings.IsLoopback(ClusterMemberSettings.Default.ClusterHost));
        Assert.False(ClusterMemberSettings.Default.Insecure);
        Assert.False(TestCertificates.Read().Cluster.Insecure);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("10.0.0.5")]
    [InlineData("192.168.1.20")]
    [InlineData("128.0.0.1")]
    [InlineData("fd00::2")]
    [InlineData("cloud.example.org")]
    [InlineData("my-laptop")]
    [InlineData("localhost.example.org")]
    public void Any_other_host_without_tls_is_refused_in_one_line_naming_what_to_set(string host)
    {
        Assert.False(ClusterMemberSettings.IsLoopback(host));
        var message = Refused(("PHAROS_CLUSTER_HOST", host)).Message;
        Assert.StartsWith($"PHAROS_CLUSTER_HOST is {host}, not a loopback address", message);
        foreach (var variable in new[] { "PHAROS_TLS_CERT", "PHAROS_TLS_CERT_PASSWORD", "PHAROS_TLS_CA", "PHAROS_CLUSTER_INSECURE=true" })
            Assert.Contains(variable, message);
        Assert.DoesNotContain('\n', message);
        // Said false, the switch changes nothing.
        Assert.Equal(message, Refused(("PHAROS_CLUSTER_HOST", host), ("PHAROS_CLUSTER_INSECURE", "false")).Message);
    }

    [Fact]
    public void Insecure_true_lets_the_node_start_and_marks_it()
    {
        var settings = TestCertificates.Read(("PHAROS_CLUSTER_HOST", "0.0.0.0"), ("PHAROS_CLUSTER_INSECURE", "true"));
        Assert.True(settings.Cluster.Insecure);
        Assert.Null(settings.Cluster.Tls);
        Assert.Contains("PHAROS_CLUSTER_INSECURE=true", settings.Cluster.InsecureWarning);
        Assert.Contains("0.0.0.0", settings.Cluster.InsecureWarning);
        Assert.Contains("Insecure = True", settings.Cluster.ToString());
    }

    [Fact]
    public void With_mutual_tls_any_host_starts_and_is_not_insecure_whatever_the_switch_says()
    {
        Assert.False(certs.Settings("cloud", ("PHAROS_CLUSTER_HOST", "0.0.0.0")).Cluster.Insecure);
        Assert.False(certs.Settings("cloud", ("PHAROS_CLUSTER_HOST", "10.0.0.5"), ("PHAROS_CLUSTER_INSECURE", "true")).Cluster.Insecure);
    }

    [Fact]
    public void Insecure_on_loopback_has_nothing_to_allow()
    {
        Assert.False(TestCertificates.Read(("PHAROS_CLUSTER_INSECURE", "true")).Cluster.Insecure);
    }

    [Fact]
    public void A_malformed_switch_names_itself()
    {
        var message = Refused(("PHAROS_CLUSTER_HOST", "0.0.0.0"), ("PHAROS_CLUSTER_INSECURE", "maybe")).Message;
        Assert.StartsWith("PHAROS_CLUSTER_INSECURE must be true or false", message);
    }

    private static readonly Gen<uint> AnyAddress = ArbMap.Default.GeneratorFor<uint>();

    /// <summary>Every IPv4 address: loopback exactly when its first byte is 127, and only loopback starts without TLS.</summary>
    [Property(MaxTest = 300)]
    public Property An_ipv4_host_starts_without_tls_exactly_when_it_is_in_127_0_0_0_8() =>
        Prop.ForAll(
            Gen.OneOf(AnyAddress, AnyAddress.Select(n => (n & 0x00FF_FFFFu) | 0x7F00_0000u)).ToArbitrary(),
            bits =>
            {
                var host = new IPAddress(BitConverter.GetBytes(bits).Reverse().ToArray()).ToString();
                var loopback = host.StartsWith("127.", StringComparison.Ordinal);
                bool started;
                try
                {
                    started = TestCertificates.Read(("PHAROS_CLUSTER_HOST", host)).Cluster is { Tls: null, Insecure: false };
                }
                catch (SettingsException)
                {
                    started = false;
                }
                return (started == loopback).Label($"{host}: started {started}, loopback {loopback}");
            });
}
