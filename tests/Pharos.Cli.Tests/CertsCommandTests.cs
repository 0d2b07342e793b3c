using System.Security.Cryptography.X509Certificates;
using Pharos.Security;

namespace Pharos.Cli.Tests;

/// <summary>`pharos certs`: a CA and node certificates that chain to it, for mutual TLS on the cluster port.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CertsCommandTests : IDisposable
{
    private readonly string _root = CliRunner.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Ca => Path.Combine(_root, "ca");

    private static X509Chain ChainTrusting(X509Certificate2 root)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain;
    }

    [Fact]
    public async Task A_node_certificate_chains_to_the_ca_and_serves_both_ends_of_a_connection()
    {
        var (exit, output, error) = await CliRunner.RunAsync("certs", "create-ca", "--out", Ca);
        Assert.True(exit == 0, error);
        Assert.Contains("ca.crt", output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Ca, "ca.key")));

        var pfx = Path.Combine(_root, "edge-1.pfx");
        (exit, output, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "edge-1", "--role", "edge",
            "--out", pfx, "--dns", "edge-1.vpn", "--ip", "10.0.0.7");
        Assert.True(exit == 0, error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));
        var password = await File.ReadAllTextAsync(pfx + ".password");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx + ".password"));
        Assert.DoesNotContain(password, output);

        using var root = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Ca, "ca.crt")));
        using var node = X509CertificateLoader.LoadPkcs12FromFile(pfx, password);
        Assert.True(node.HasPrivateKey);
        Assert.Equal("CN=edge-1", node.SubjectName.Format(false).Split(", ").Single(part => part.StartsWith("CN=")));
        // The role is in the subject, where only the CA's signature can put it.
        Assert.Equal(ClusterRoles.Edge, ClusterRoles.Of(node));
        Assert.Contains("role edge", output);
        using (var chain = ChainTrusting(root))
            Assert.True(chain.Build(node), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        var usages = node.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()
            .Select(o => o.Value).ToList();
        Assert.Contains("1.3.6.1.5.5.7.3.1", usages);
        Assert.Contains("1.3.6.1.5.5.7.3.2", usages);
        var san = node.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["edge-1", "edge-1.vpn"], san.EnumerateDnsNames());
        Assert.Equal("10.0.0.7", san.EnumerateIPAddresses().Single().ToString());
        Assert.False(node.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    [Fact]
    public async Task A_certificate_from_another_ca_does_not_chain_to_ours()
    {
        var other = Path.Combine(_root, "other");
        Assert.Equal(0, (await CliRunner.RunAsync("certs", "create-ca", "--out", Ca)).Exit);
        Assert.Equal(0, (await CliRunner.RunAsync("certs", "create-ca", "--out", other)).Exit);
        var pfx = Path.Combine(_root, "intruder.pfx");
        Assert.Equal(0, (await CliRunner.RunAsync("certs", "issue", "--ca", other, "--name", "intruder", "--role", "cloud",
            "--out", pfx, "--password", "given-password")).Exit);
        Assert.False(File.Exists(pfx + ".password"));

        using var ours = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Ca, "ca.crt")));
        using var intruder = X509CertificateLoader.LoadPkcs12FromFile(pfx, "given-password");
        using var chain = ChainTrusting(ours);
        Assert.False(chain.Build(intruder));
    }

    [Fact]
    public async Task Mistakes_are_one_clear_line_and_nothing_is_overwritten()
    {
        var (exit, _, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "n", "--role", "edge", "--out",
            Path.Combine(_root, "n.pfx"));
        Assert.Equal(1, exit);
        Assert.Contains("no CA in", error);

        Assert.Equal(0, (await CliRunner.RunAsync("certs", "create-ca", "--out", Ca)).Exit);
        var key = await File.ReadAllTextAsync(Path.Combine(Ca, "ca.key"));
        (exit, _, error) = await CliRunner.RunAsync("certs", "create-ca", "--out", Ca);
        Assert.Equal(1, exit);
        Assert.Contains("already holds a CA", error);
        Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(Ca, "ca.key")));

        (exit, _, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "a,O=evil", "--role", "edge", "--out",
            Path.Combine(_root, "x.pfx"));
        Assert.Equal(1, exit);
        Assert.Contains("cannot take", error);
        (exit, _, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "n", "--role", "edge", "--ip", "not-an-ip",
            "--out", Path.Combine(_root, "y.pfx"));
        Assert.Equal(1, exit);
        Assert.Contains("not an IP address", error);
        Assert.False(File.Exists(Path.Combine(_root, "y.pfx")));

        // A certificate names the one role its node may hold: no role, or another word, is refused before anything is written.
        (exit, _, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "n", "--out", Path.Combine(_root, "z.pfx"));
        Assert.NotEqual(0, exit);
        Assert.Contains("--role", error);
        (exit, _, error) = await CliRunner.RunAsync("certs", "issue", "--ca", Ca, "--name", "n", "--role", "admin", "--out",
            Path.Combine(_root, "z.pfx"));
        Assert.NotEqual(0, exit);
        Assert.Contains("admin", error);
        Assert.False(File.Exists(Path.Combine(_root, "z.pfx")));
    }
}
