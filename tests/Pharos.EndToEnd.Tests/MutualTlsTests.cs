using System.Net.Http.Json;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// Mutual TLS as an operator sets it up: `pharos certs` makes a CA and a certificate for each node (PFX and its
/// .password file), the nodes get PHAROS_TLS_CERT / PHAROS_TLS_CERT_PASSWORD / PHAROS_TLS_CA, and an edge joins the
/// cloud over akka.ssl.tcp and completes a real job; an edge of another CA stops. The cloud's own refusals (a
/// certificate of another CA, no TLS) are tested in-process, in Pharos.Actors.Tests' MutualTlsClusterTests.
/// </summary>
public sealed class MutualTlsTests(ITestOutputHelper output) : BedTest(output)
{
    private readonly string _certs = TempDirectories.Create("pharos-e2e-certs-");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        TempDirectories.Delete(_certs);
    }

    private Task PharosAsync(params string[] arguments) => PharosCli.RunAsync(Output, arguments);

    private async Task<string> CreateCaAsync(string name)
    {
        var ca = Path.Combine(_certs, name);
        await PharosAsync("certs", "create-ca", "--out", ca);
        return ca;
    }

    /// <summary>A node certificate from `pharos certs issue`, as the three variables a node reads.</summary>
    private async Task<Dictionary<string, string?>> IssueAsync(string ca, string name)
    {
        var pfx = Path.Combine(_certs, name + ".pfx");
        await PharosAsync("certs", "issue", "--ca", ca, "--name", name, "--ip", "127.0.0.1", "--out", pfx);
        return new Dictionary<string, string?>
        {
            ["PHAROS_TLS_CERT"] = pfx,
            ["PHAROS_TLS_CERT_PASSWORD"] = await File.ReadAllTextAsync(pfx + ".password"),
            ["PHAROS_TLS_CA"] = Path.Combine(ca, "ca.crt"),
        };
    }

    [Fact]
    public async Task An_edge_with_certificates_from_pharos_certs_joins_a_tls_cloud_and_completes_a_job()
    {
        var ca = await CreateCaAsync("ca");
        var cloudTls = await IssueAsync(ca, "cloud");
        var edgeTls = await IssueAsync(ca, "edge-1");
        var sources = Bed.Own(await GitSources.StartAsync(http: false));
        var repo = sources.CreateRealRepository("nx-tls");

        var cloud = await Bed.StartCloudAsync(cloudTls);
        var edge = await Bed.StartIdleEdgeAsync(cloud, edgeTls);
        Assert.StartsWith("akka.ssl.tcp://pharos@127.0.0.1:", edge.Address);

        var id = await cloud.SubmitAsync(sources.Daemon!.UrlFor("nx-tls"));
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(GitSources.Head(repo), job.Str("commit_sha"));
        foreach (var node in new[] { cloud.Node, edge.Node })
            Assert.DoesNotContain(node.Log.LinesSince(), l => l.Contains(edgeTls["PHAROS_TLS_CERT_PASSWORD"]!, StringComparison.Ordinal)
                                                             || l.Contains(cloudTls["PHAROS_TLS_CERT_PASSWORD"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_edge_with_a_certificate_of_another_ca_is_refused_and_stops_with_akkas_tls_exit_code()
    {
        var cloud = await Bed.StartCloudAsync(await IssueAsync(await CreateCaAsync("ca"), "cloud"));
        var stranger = Bed.StartEdge(cloud, await IssueAsync(await CreateCaAsync("other-ca"), "stranger"));

        await stranger.Node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(stranger.Node.ExitCode == 79, $"{stranger.Node.ExitDescription}\n{stranger.Node.Describe()}");
        Assert.True(stranger.Node.Log.Contains("does not chain to the cluster CA"), stranger.Node.Describe());
        var members = await cloud.Client.GetFromJsonAsync<JsonElement>("/cluster/members");
        Assert.Equal([cloud.Address], members.GetProperty("members").EnumerateArray().Select(m => m.Str("address")));
    }
}
