using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// Mutual TLS as an operator sets it up: `pharos certs` makes a CA and a certificate for each node (PFX and its
/// .password file), the nodes get PHAROS_TLS_CERT / PHAROS_TLS_CERT_PASSWORD / PHAROS_TLS_CA, and an edge joins the
/// cloud over akka.ssl.tcp and completes a real job; an edge of another CA stops; a node holds only the role its
/// certificate names; and rogue members (tests/Pharos.Rogue, processes with edge certificates of the same CA) that
/// claim the cloud role, or send the queue and the cluster daemon what only a cloud node may, achieve nothing. The cloud's own refusals (a
/// certificate of another CA, no TLS) are tested in-process, in Pharos.Actors.Tests' MutualTlsClusterTests.
/// </summary>
public sealed class MutualTlsTests(TlsCertificates certificates, ITestOutputHelper output) : BedTest(output), IClassFixture<TlsCertificates>
{
    private Task<string> CreateCaAsync(string name) => certificates.CreateCaAsync(Output, name);

    /// <summary>A node certificate from `pharos certs issue`, as the three variables a node reads.</summary>
    private Task<Dictionary<string, string?>> IssueAsync(string ca, string name, string role) =>
        certificates.IssueAsync(Output, ca, name, role);

    [Fact]
    public async Task An_edge_with_certificates_from_pharos_certs_joins_a_tls_cloud_and_completes_a_job()
    {
        var ca = await CreateCaAsync("ca");
        var cloudTls = await IssueAsync(ca, "cloud", "cloud");
        var edgeTls = await IssueAsync(ca, "edge-1", "edge");
        var sources = Bed.Own(await GitSources.StartAsync(http: false));
        var repo = sources.CreateRealRepository("nx-tls");

        var cloud = await Bed.StartCloudAsync(cloudTls);
        var edge = await Bed.StartIdleEdgeAsync(cloud, new Dictionary<string, string?>(edgeTls.Concat(Scenarios.QuickTraining)));
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
    public async Task A_cloud_node_given_an_edge_certificate_exits_2_naming_the_role()
    {
        var cloud = Bed.Own(await CloudProcess.StartAsync(settings: await IssueAsync(await CreateCaAsync("ca"), "laptop", "edge"),
            waitReady: false));
        await cloud.Node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(cloud.Node.ExitCode == 2, $"{cloud.Node.ExitDescription}\n{cloud.Node.Describe()}");
        Assert.True(cloud.Node.Log.Contains("grants the role 'edge', not 'cloud'"), cloud.Node.Describe());
        Assert.True(cloud.Node.Log.Contains("pharos certs issue --role cloud"), cloud.Node.Describe());
    }

    [Fact]
    public async Task Rogue_members_with_edge_certificates_achieve_nothing_and_are_logged()
    {
        var ca = await CreateCaAsync("ca");
        var sources = Bed.Own(await GitSources.StartAsync(http: false));
        sources.CreateRealRepository("nx-first");
        sources.CreateRealRepository("nx-second");
        var cloud = await Bed.StartCloudAsync(await IssueAsync(ca, "cloud", "cloud"));
        var edge = await Bed.StartIdleEdgeAsync(cloud,
            new Dictionary<string, string?>((await IssueAsync(ca, "edge-1", "edge")).Concat(Scenarios.QuickTraining)));
        var workerId = Assert.Single(edge.WorkersIn(await edge.WaitForIdleWorkerAsync(cloud))).Str("id")!;
        var first = await cloud.SubmitAsync(sources.Daemon!.UrlFor("nx-first"));
        await cloud.WaitForFinalAsync(first, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);

        // An edge certificate claiming the cloud role: proves its certificate, which grants edge, and is downed.
        var claimer = StartRogue("rogue-claimer", cloud, await IssueAsync(ca, "rogue-claimer", "edge"), "cloud");
        // An edge certificate claiming edge: a member like any edge, which then sends what only a cloud node may.
        var attacker = StartRogue("rogue-attacker", cloud, await IssueAsync(ca, "rogue-attacker", "edge"), "edge",
            cloud.Address, first, workerId);

        await claimer.WaitForExitAsync(TimeSpan.FromSeconds(90));
        Assert.True(claimer.ExitCode == 3, $"{claimer.ExitDescription}\n{claimer.Describe()}");
        Assert.True(cloud.Node.Log.Contains("it claims the role 'cloud', and its certificate grants 'edge' only"), cloud.Node.Describe());
        await Scenarios.WaitUntilAsync(() => attacker.Log.Contains("rogue: attacked"), "the attacker to be up and send", Bed,
            TimeSpan.FromSeconds(90));
        var attackerAddress = attacker.Log.LinesSince().Select(l => Regex.Match(l, @"rogue: up as (\S+)")).First(m => m.Success).Groups[1].Value;
        await Scenarios.WaitUntilAsync(() => new[]
            {
                $"Ignored a EnqueueTask from {attackerAddress}", $"Ignored a CancelJob from {attackerAddress}",
                $"Refused the registration of worker {workerId} from {attackerAddress}", "Refused a cluster Down command",
            }.All(line => cloud.Node.Log.Contains(line)), "the cloud to log the four refusals", Bed, TimeSpan.FromSeconds(30));

        // The cloud is still Up and holds the queue, the edge still holds its worker id: a second job completes there.
        var second = await cloud.SubmitAsync(sources.Daemon!.UrlFor("nx-second"));
        var job = await cloud.WaitForFinalAsync(second, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(workerId, job.Str("worker"));
        Assert.Equal("completed", (await cloud.GetJobAsync(first)).Status());
        var members = (await cloud.Client.GetFromJsonAsync<JsonElement>("/cluster/members")).GetProperty("members").EnumerateArray()
            .Select(m => (m.Str("address"), m.Str("status"))).ToList();
        Assert.Contains((cloud.Address, "up"), members);
        Assert.Contains((edge.Address, "up"), members);
        // The claimer was downed while it joined: whatever the cloud still lists of it is not up.
        Assert.DoesNotContain(members, m => m.Item1 != cloud.Address && m.Item1 != edge.Address && m.Item1 != attackerAddress
                                            && m.Item2 == "up");
        var jobs = (await cloud.GetJsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray().Select(j => j.Str("repo_url")).ToList();
        Assert.DoesNotContain(jobs, url => url!.Contains("rogue", StringComparison.Ordinal));
    }

    private NodeProcess StartRogue(string name, CloudProcess cloud, Dictionary<string, string?> tls, params string[] arguments)
    {
        var dir = TempDirectories.Create("pharos-e2e-rogue-");
        var env = new Dictionary<string, string?>(tls)
        {
            ["PHAROS_SEEDS"] = cloud.Seed,
            ["PHAROS_CLUSTER_PORT"] = "0",
            ["PHAROS_DATA_DIR"] = dir,
        };
        var node = NodeProcess.Start(name, "Pharos.Rogue", env, arguments, dir, [dir]);
        Bed.Own(node, node);
        return node;
    }

    [Fact]
    public async Task An_edge_with_a_certificate_of_another_ca_is_refused_and_stops_with_akkas_tls_exit_code()
    {
        var cloud = await Bed.StartCloudAsync(await IssueAsync(await CreateCaAsync("ca"), "cloud", "cloud"));
        var stranger = Bed.StartEdge(cloud, await IssueAsync(await CreateCaAsync("other-ca"), "stranger", "edge"));

        await stranger.Node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(stranger.Node.ExitCode == 79, $"{stranger.Node.ExitDescription}\n{stranger.Node.Describe()}");
        Assert.True(stranger.Node.Log.Contains("does not chain to the cluster CA"), stranger.Node.Describe());
        var members = await cloud.Client.GetFromJsonAsync<JsonElement>("/cluster/members");
        Assert.Equal([cloud.Address], members.GetProperty("members").EnumerateArray().Select(m => m.Str("address")));
    }
}

/// <summary>
/// The CAs and node certificates of <see cref="MutualTlsTests"/>, made by `pharos certs` as an operator makes them: each
/// one the first time a test asks for it, and then the same files for the class's other tests (no test changes them).
/// </summary>
public sealed class TlsCertificates : IDisposable
{
    private readonly string _dir = TempDirectories.Create("pharos-e2e-certs-");
    private readonly HashSet<string> _cas = [];
    private readonly Dictionary<string, Dictionary<string, string?>> _issued = [];

    /// <summary>`pharos certs create-ca`: the CA's directory (ca.crt, ca.key).</summary>
    public async Task<string> CreateCaAsync(ITestOutputHelper output, string name)
    {
        var ca = Path.Combine(_dir, name);
        if (_cas.Contains(name)) return ca;
        await PharosCli.RunAsync(output, "certs", "create-ca", "--out", ca);
        _cas.Add(name);
        return ca;
    }

    /// <summary>`pharos certs issue`: the certificate as the three variables a node reads.</summary>
    public async Task<Dictionary<string, string?>> IssueAsync(ITestOutputHelper output, string ca, string name, string role)
    {
        var pfx = Path.Combine(_dir, $"{Path.GetFileName(ca)}-{name}-{role}.pfx");
        if (_issued.TryGetValue(pfx, out var issued)) return new Dictionary<string, string?>(issued);
        await PharosCli.RunAsync(output, "certs", "issue", "--ca", ca, "--name", name, "--role", role, "--ip", "127.0.0.1", "--out", pfx);
        _issued[pfx] = new Dictionary<string, string?>
        {
            ["PHAROS_TLS_CERT"] = pfx,
            ["PHAROS_TLS_CERT_PASSWORD"] = await File.ReadAllTextAsync(pfx + ".password"),
            ["PHAROS_TLS_CA"] = Path.Combine(ca, "ca.crt"),
        };
        return new Dictionary<string, string?>(_issued[pfx]);
    }

    public void Dispose() => TempDirectories.Delete(_dir);
}
