using Pharos.Actors.Hosting;

namespace Pharos.Actors.Tests.Configuration;

/// <summary>PHAROS_TLS_CERT, PHAROS_TLS_CERT_PASSWORD and PHAROS_TLS_CA: read, checked at start, never printed.</summary>
public sealed class ClusterTlsSettingsTests(TestCertificates certs) : IClassFixture<TestCertificates>
{
    private static SettingsException Refused(params (string Key, string Value)[] values) =>
        Assert.Throws<SettingsException>(() => TestCertificates.Read(values));

    [Fact]
    public void Without_the_variables_the_cluster_port_is_plain_tcp()
    {
        var settings = TestCertificates.Read();
        Assert.Null(settings.Cluster.Tls);
        Assert.Equal("akka.tcp://pharos@10.0.0.2:4053", PharosAkkaHosting.SeedAddress("10.0.0.2:4053", settings.Cluster.Tls is not null));
    }

    [Fact]
    public void A_certificate_that_chains_to_the_ca_turns_tls_on_and_seeds_get_the_ssl_scheme()
    {
        var settings = certs.Settings("cloud-1", ("PHAROS_SEEDS", "10.0.0.2:4053, akka.ssl.tcp://pharos@h:1"));
        Assert.NotNull(settings.Cluster.Tls);
        Assert.Equal("OU=pharos-cloud, CN=cloud-1", settings.Cluster.Tls.Certificate.Subject);
        Assert.Equal(PharosAkkaHosting.CloudRole, settings.Cluster.Tls.Role);
        Assert.True(settings.Cluster.Tls.Certificate.HasPrivateKey);
        Assert.Null(settings.Cluster.Tls.Refusal(certs.Issue("edge-1")));
        Assert.Equal(["akka.ssl.tcp://pharos@10.0.0.2:4053", "akka.ssl.tcp://pharos@h:1"],
            settings.Cluster.Seeds.Select(s => PharosAkkaHosting.SeedAddress(s, tls: true)));
    }

    [Fact]
    public void A_peer_certificate_from_another_ca_or_none_is_refused()
    {
        var tls = certs.Settings("cloud-1").Cluster.Tls!;
        using var intruder = certs.Issue("intruder", certs.OtherCa);
        Assert.Contains("does not chain to the cluster CA", tls.Refusal(intruder));
        Assert.NotNull(tls.Refusal(null));
        // The other CA's own certificate is no node certificate of ours either.
        Assert.NotNull(tls.Refusal(certs.OtherCa));
    }

    [Fact]
    public void Half_a_configuration_is_refused_naming_what_is_missing()
    {
        var pfx = certs.WritePfx("half");
        Assert.Contains("PHAROS_TLS_CA is not", Refused(("PHAROS_TLS_CERT", pfx), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password)).Message);
        Assert.Contains("PHAROS_TLS_CERT is not", Refused(("PHAROS_TLS_CA", certs.CaPath)).Message);
        Assert.Contains("PHAROS_TLS_CERT is not", Refused(("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password)).Message);
    }

    [Fact]
    public void Unreadable_files_and_a_wrong_password_name_the_file_and_never_the_password()
    {
        var pfx = certs.WritePfx("locked");
        const string wrong = "not-the-password-7d2e";
        var error = Refused(("PHAROS_TLS_CERT", pfx), ("PHAROS_TLS_CERT_PASSWORD", wrong), ("PHAROS_TLS_CA", certs.CaPath));
        Assert.Contains(pfx, error.Message);
        Assert.Contains("password is wrong", error.Message);
        Assert.DoesNotContain(wrong, error.Message);

        var missing = Path.Combine(certs.Directory, "missing.pfx");
        error = Refused(("PHAROS_TLS_CERT", missing), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password), ("PHAROS_TLS_CA", certs.CaPath));
        Assert.Contains("PHAROS_TLS_CERT", error.Message);
        Assert.Contains(missing, error.Message);
        Assert.DoesNotContain(TestCertificates.Password, error.Message);

        // The CA variable given the PFX (not PEM), or a PEM that is a node certificate, not a CA.
        error = Refused(("PHAROS_TLS_CERT", pfx), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password), ("PHAROS_TLS_CA", pfx));
        Assert.Contains($"PHAROS_TLS_CA: {pfx} is not a PEM certificate", error.Message);
        var nodePem = Path.Combine(certs.Directory, "node.crt");
        using (var node = certs.Issue("node")) File.WriteAllText(nodePem, node.ExportCertificatePem());
        error = Refused(("PHAROS_TLS_CERT", pfx), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password), ("PHAROS_TLS_CA", nodePem));
        Assert.Contains($"PHAROS_TLS_CA: {nodePem} ('OU=pharos-edge, CN=node') is not a CA certificate", error.Message);
        Assert.DoesNotContain(TestCertificates.Password, error.Message);
    }

    [Fact]
    public void This_nodes_certificate_must_come_from_the_ca_it_trusts()
    {
        var foreign = certs.WritePfx("foreign", certs.OtherCa);
        var error = Refused(("PHAROS_TLS_CERT", foreign), ("PHAROS_TLS_CERT_PASSWORD", TestCertificates.Password), ("PHAROS_TLS_CA", certs.CaPath));
        Assert.Contains(foreign, error.Message);
        Assert.Contains(certs.CaPath, error.Message);
        Assert.Contains("does not chain to the cluster CA 'CN=Pharos test CA'", error.Message);
    }

    [Fact]
    public void A_node_may_hold_only_the_role_its_certificate_names()
    {
        var edge = certs.Settings("edge-1").Cluster;
        edge.RequireRole(PharosAkkaHosting.EdgeRole);
        var error = Assert.Throws<SettingsException>(() => edge.RequireRole(PharosAkkaHosting.CloudRole));
        Assert.Contains(edge.TlsCert!, error.Message);
        Assert.Contains("grants the role 'edge', not 'cloud'", error.Message);
        Assert.Contains("pharos certs issue --role cloud", error.Message);

        var cloud = certs.Settings("cloud-1").Cluster;
        cloud.RequireRole(PharosAkkaHosting.CloudRole);
        Assert.Contains("grants the role 'cloud', not 'edge'",
            Assert.Throws<SettingsException>(() => cloud.RequireRole(PharosAkkaHosting.EdgeRole)).Message);
        // Without TLS there is no certificate to hold a role: nothing to check.
        TestCertificates.Read().Cluster.RequireRole(PharosAkkaHosting.CloudRole);
    }

    [Fact]
    public void A_full_seed_address_with_the_other_scheme_is_refused()
    {
        Assert.Contains("does not start with akka.ssl.tcp://",
            Assert.Throws<SettingsException>(() => certs.Settings("edge-2", ("PHAROS_SEEDS", "akka.tcp://pharos@h:1"))).Message);
        Assert.Contains("does not start with akka.tcp://",
            Refused(("PHAROS_SEEDS", "akka.ssl.tcp://pharos@h:1")).Message);
    }

    [Fact]
    public void The_printed_form_names_the_files_but_not_the_password()
    {
        var printed = certs.Settings("printed").ToString();
        Assert.Contains("printed-", printed);
        Assert.DoesNotContain(TestCertificates.Password, printed);
    }
}
