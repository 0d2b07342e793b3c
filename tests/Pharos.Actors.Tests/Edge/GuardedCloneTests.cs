using System.Diagnostics;
using System.Text;
using Pharos.Actors.Ingest;
using Pharos.Testing.Git;
using Pharos.Testing.Net;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// Real repositories behind real git servers on loopback, one of them hostile: a tree that names one subtree a
/// hundred times on three levels (a million entries from five objects).
/// </summary>
public sealed class GuardedCloneFixture : IAsyncLifetime
{
    public const string BombEntries = "1,010,100";

    public GitRepositoryFixture Repos { get; } = new();
    public string Small { get; private set; } = "";
    public string Big { get; private set; } = "";
    public string Bomb { get; private set; } = "";
    public string Deep { get; private set; } = "";
    public GitDaemon Daemon { get; private set; } = null!;
    public SmartHttpGitServer Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Small = Repos.CreateSource("small",
            ("README.md", "# small\n"), ("src/a.txt", "alpha\n"), ("src/b.txt", "beta\n"));
        Big = Repos.CreateRandomSource("big", fileCount: 24, bytesEach: 256 * 1024);
        Bomb = CreateTreeBomb(Path.Combine(Repos.Root, "bomb"));
        Deep = CreateDeepTree(Path.Combine(Repos.Root, "deep"), DeepLevels);
        Daemon = await GitDaemon.StartAsync(Repos.Root);
        Http = await SmartHttpGitServer.StartAsync(Repos.Root);
    }

    /// <summary>100 files; a tree naming that tree 100 times; a tree naming that one 100 times: 1,010,100 entries.</summary>
    private static string CreateTreeBomb(string dir)
    {
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q");
        var blob = GitWithInput(dir, "boom\n", "hash-object", "-w", "--stdin");
        var tree = GitWithInput(dir, Lines(i => $"100644 blob {blob}\tf{i:D3}"), "mktree");
        for (var level = 0; level < 2; level++)
        {
            var inner = tree;
            tree = GitWithInput(dir, Lines(i => $"040000 tree {inner}\td{i:D3}"), "mktree");
        }
        var commit = GitCli.Run(dir, "commit-tree", tree, "-m", "a hundred of a hundred of a hundred");
        GitCli.Run(dir, "update-ref", "refs/heads/main", commit);
        return dir;

        static string Lines(Func<int, string> line) => string.Join('\n', Enumerable.Range(0, 100).Select(line)) + "\n";
    }

    public const int DeepLevels = 5_000;

    /// <summary>One file under <paramref name="levels"/> nested directories, its trees written as loose objects here.</summary>
    private static string CreateDeepTree(string dir, int levels)
    {
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q");
        var id = Convert.FromHexString(GitWithInput(dir, "deep\n", "hash-object", "-w", "--stdin"));
        id = WriteTree(dir, "100644 f", id);
        for (var i = 0; i < levels; i++) id = WriteTree(dir, "40000 d", id);
        var commit = GitCli.Run(dir, "commit-tree", Convert.ToHexStringLower(id), "-m", "deep");
        GitCli.Run(dir, "update-ref", "refs/heads/main", commit);
        return dir;
    }

    /// <summary>A tree of one entry, stored as git stores a loose object: zlib of "tree length\0" and the entry.</summary>
    private static byte[] WriteTree(string dir, string modeAndName, byte[] target)
    {
        var entry = Encoding.ASCII.GetBytes(modeAndName + "\0").Concat(target).ToArray();
        var content = Encoding.ASCII.GetBytes($"tree {entry.Length}\0").Concat(entry).ToArray();
        var id = System.Security.Cryptography.SHA1.HashData(content);
        var hex = Convert.ToHexStringLower(id);
        var file = Path.Combine(dir, ".git", "objects", hex[..2], hex[2..]);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var stream = File.Create(file))
        using (var zlib = new System.IO.Compression.ZLibStream(stream, System.IO.Compression.CompressionLevel.Fastest))
            zlib.Write(content);
        return id;
    }

    private static string GitWithInput(string dir, string input, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout.Trim();
    }

    public async Task DisposeAsync()
    {
        Daemon?.Dispose();
        if (Http is not null) await Http.DisposeAsync();
        Repos.Dispose();
    }
}

/// <summary>
/// What an untrusted repository URL cannot make a clone do: send the token where it does not belong, follow a
/// redirect to another host, connect to an internal address whatever a name resolved to before, or write a tree past
/// the limits. Each test has a positive twin, so that a refusal is the rule's and not a broken server's.
/// </summary>
public sealed class GuardedCloneTests(GuardedCloneFixture fx, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<GuardedCloneFixture>
{
    private const string Token = "tok-5b7d-scoped-secret";
    private const string NamedHost = "git.pharos.test";
    private static readonly string TokenHeader =
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"x-access-token:{Token}"));

    private CloneRequest Request(string url) =>
        new(url, fx.Repos.NewTargetPath(), 1L << 30, TimeSpan.FromMinutes(2), Token)
        {
            AllowInternalAddresses = true,
            PinnedAddresses = new Dictionary<string, string> { [NamedHost] = "127.0.0.1" },
        };

    private static string UrlFor(SmartHttpGitServer server, string host, string repo) =>
        $"http://{host}:{server.BaseAddress.Port}/{repo}";

    private CloneFailedException Refused(CloneRequest request, CloneFailureKind kind, bool transient = false)
    {
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(transient, e.Transient);
        Assert.False(Directory.Exists(request.TargetDirectory));
        Assert.DoesNotContain(Token, e.ToString());
        return e;
    }

    private void AssertSmall(CloneRequest request, CloneResult result, bool shallow)
    {
        Assert.Equal(GitRepositoryFixture.Head(fx.Small), result.CommitSha);
        Assert.Equal("beta\n", File.ReadAllText(Path.Combine(request.TargetDirectory, "src", "b.txt")));
        Assert.Equal(shallow, result.Shallow);
        Assert.Equal("", GitCli.Run(request.TargetDirectory, "status", "--porcelain"));
    }

    // --- the token ---

    [Fact]
    public async Task A_token_host_gets_the_token_when_it_asks()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root, requiredToken: Token);
        var request = Request(UrlFor(server, "localhost", "small")) with { TokenHosts = ["LocalHost"] };
        AssertSmall(request, RepositoryCloner.Clone(request, null, CancellationToken.None), shallow: true);
        Assert.Equal("", server.Authorizations[0]); // only once asked
        Assert.Contains(TokenHeader, server.Authorizations);
    }

    [Fact]
    public async Task A_host_not_among_the_token_hosts_never_gets_the_token()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root, requiredToken: Token);
        // The same server, by its address: not the name on the list.
        var request = Request(UrlFor(server, "127.0.0.1", "small")) with { TokenHosts = ["localhost"] };
        Assert.Contains("authentication", Refused(request, CloneFailureKind.Failed).Message);
        Assert.NotEmpty(server.Authorizations);
        Assert.All(server.Authorizations, header => Assert.Equal("", header));
    }

    [Fact]
    public async Task A_task_without_the_grant_clones_without_credentials()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root, requiredToken: Token);
        var request = Request(UrlFor(server, "localhost", "small")) with { TokenHosts = ["localhost"], UseCredentials = false };
        Assert.Contains("authentication", Refused(request, CloneFailureKind.Failed).Message);
        Assert.NotEmpty(server.Authorizations);
        Assert.All(server.Authorizations, header => Assert.Equal("", header));
    }

    [Fact]
    public async Task Plain_http_to_a_named_host_never_carries_the_token()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root, requiredToken: Token);
        var request = Request(UrlFor(server, NamedHost, "small")) with { TokenHosts = [NamedHost] };
        Assert.Contains("authentication", Refused(request, CloneFailureKind.Failed).Message);
        Assert.NotEmpty(server.Authorizations);
        Assert.All(server.Authorizations, header => Assert.Equal("", header));
    }

    // --- redirects ---

    [Fact]
    public async Task A_redirect_to_another_host_is_refused_and_that_host_is_never_asked()
    {
        await using var elsewhere = await SmartHttpGitServer.StartAsync(fx.Repos.Root, requiredToken: Token);
        await using var redirecting = await SmartHttpGitServer.StartAsync(fx.Repos.Root);
        redirecting.Redirect = path => $"http://localhost:{elsewhere.BaseAddress.Port}{path}";
        // Both names may have the token: the redirect alone keeps it from going.
        var request = Request(UrlFor(redirecting, "127.0.0.1", "small")) with { TokenHosts = ["127.0.0.1", "localhost"] };

        var e = Refused(request, CloneFailureKind.Refused);
        Assert.Contains("redirect", e.Message);
        Assert.Contains("localhost", e.Message);
        Assert.Equal(1, redirecting.Requests);
        Assert.Equal(0, elsewhere.Requests);
    }

    [Fact]
    public async Task A_redirect_on_the_same_host_is_followed()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root);
        var redirected = 0;
        server.Redirect = path =>
        {
            if (!path.StartsWith("/renamed/", StringComparison.Ordinal)) return null;
            Interlocked.Increment(ref redirected);
            return "/small/" + path["/renamed/".Length..];
        };
        var request = Request(UrlFor(server, "127.0.0.1", "renamed"));
        AssertSmall(request, RepositoryCloner.Clone(request, null, CancellationToken.None), shallow: true);
        // The ref advertisement was redirected; the negotiation went to the new place at once.
        Assert.Equal(1, redirected);
    }

    [Fact]
    public async Task Redirects_that_never_end_are_refused()
    {
        await using var server = await SmartHttpGitServer.StartAsync(fx.Repos.Root);
        server.Redirect = path => path.StartsWith("/a/", StringComparison.Ordinal) ? "/b/" + path[3..] : "/a/" + path[3..];
        var e = Refused(Request(UrlFor(server, "127.0.0.1", "a")), CloneFailureKind.Refused);
        Assert.Contains($"more than {Pharos.Actors.Edge.Git.GuardedHttpTransport.MaxRedirects} times", e.Message);
        Assert.Equal(Pharos.Actors.Edge.Git.GuardedHttpTransport.MaxRedirects + 1, server.Requests);
    }

    // --- internal addresses, checked where the connection is made ---

    [Theory]
    [InlineData("localhost")]
    [InlineData(NamedHost)]   // a name that resolves to 127.0.0.1 now, whatever it resolved to before
    [InlineData("127.0.0.1")]
    [InlineData("[::ffff:127.0.0.1]")]
    public void An_internal_address_is_refused_where_the_connection_is_made(string host)
    {
        var request = Request(UrlFor(fx.Http, host, "small")) with { AllowInternalAddresses = false };
        var before = fx.Http.Requests;
        var e = Refused(request, CloneFailureKind.Refused);
        Assert.Contains("internal address", e.Message);
        Assert.DoesNotContain("127.0.0.1", e.Message);
        Assert.Equal(before, fx.Http.Requests);
    }

    [Fact]
    public async Task A_name_the_validator_saw_public_is_refused_when_it_resolves_to_loopback_at_connect()
    {
        var url = UrlFor(fx.Http, NamedHost, "small");
        // The earlier check: the name answered a public address then.
        var validator = new RepoUrlValidator(RepoUrlPolicy.Default with
        {
            AllowedHosts = [NamedHost],
            AllowedSchemes = ["http"],
            AllowedPorts = [fx.Http.BaseAddress.Port],
        }, new TestDns().Map(NamedHost, TestDns.PublicAddress).Resolver);
        Assert.True((await validator.ValidateAsync(url)).Ok);

        // At clone time it answers 127.0.0.1 (PinnedAddresses): the connection is refused all the same.
        var before = fx.Http.Requests;
        var request = Request(url) with { AllowInternalAddresses = false };
        Assert.Contains("internal address", Refused(request, CloneFailureKind.Refused).Message);
        Assert.Equal(before, fx.Http.Requests);
    }

    [Fact]
    public void The_same_names_connect_while_internal_addresses_are_allowed()
    {
        foreach (var host in new[] { "localhost", NamedHost })
        {
            var request = Request(UrlFor(fx.Http, host, "small"));
            AssertSmall(request, RepositoryCloner.Clone(request, null, CancellationToken.None), shallow: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_name_that_does_not_resolve_is_refused(bool allowInternal)
    {
        var request = Request("http://no-such-host.invalid/small") with { AllowInternalAddresses = allowInternal };
        Assert.Contains("could not resolve no-such-host.invalid", Refused(request, CloneFailureKind.Refused, transient: true).Message);
    }

    [Fact]
    public void Git_protocol_and_ssh_hosts_are_checked_before_libgit2_connects()
    {
        var git = Request($"git://localhost:{fx.Daemon.Port}/small") with { AllowInternalAddresses = false };
        Assert.Contains("internal address", Refused(git, CloneFailureKind.Refused).Message);
        var scp = Request("git@127.0.0.1:small") with { AllowInternalAddresses = false };
        Assert.Contains("internal address", Refused(scp, CloneFailureKind.Refused).Message);

        var allowed = Request($"git://localhost:{fx.Daemon.Port}/small");
        AssertSmall(allowed, RepositoryCloner.Clone(allowed, null, CancellationToken.None), shallow: false);
    }

    // --- the tree, measured before checkout ---

    private (CloneResult? Result, CloneFailedException? Error, List<string> Written) CloneWatched(CloneRequest request)
    {
        var written = new List<string>();
        try
        {
            return (RepositoryCloner.Clone(request, null, CancellationToken.None, written.Add), null, written);
        }
        catch (CloneFailedException e)
        {
            output.WriteLine(e.Message);
            return (null, e, written);
        }
    }

    [Theory]
    [InlineData(4, 0, true)]    // README.md, src, src/a.txt, src/b.txt
    [InlineData(3, 0, false)]
    [InlineData(0, 19, true)]   // 8 + 6 + 5 bytes
    [InlineData(0, 18, false)]
    public void A_tree_is_checked_out_only_within_its_limits(int maxFiles, long maxBytes, bool within)
    {
        var request = Request(fx.Small) with { MaxFiles = maxFiles, MaxCheckoutBytes = maxBytes };
        var (result, error, written) = CloneWatched(request);
        if (within)
        {
            AssertSmall(request, result!, shallow: false);
            Assert.Equal(["README.md", "src/a.txt", "src/b.txt"], written.Order());
            return;
        }
        Assert.Equal(CloneFailureKind.RepositoryTooLarge, error!.Kind);
        Assert.False(error.Transient);
        Assert.Contains(maxFiles > 0 ? "more than 3 entries" : "more than 18 bytes (19 bytes counted so far)", error.Message);
        Assert.Empty(written);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Fact]
    public void Files_past_the_checkout_bytes_are_refused_with_the_figure()
    {
        var request = Request(fx.Http.UrlFor("big")) with { MaxCheckoutBytes = 1024 * 1024 };
        var (_, error, written) = CloneWatched(request);
        Assert.Equal(CloneFailureKind.RepositoryTooLarge, error!.Kind);
        Assert.Contains("more than 1 MB (1.25 MB counted so far)", error.Message);
        Assert.Empty(written);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    public void A_tree_that_expands_to_a_million_entries_is_refused_before_checkout(string transport)
    {
        var url = transport == "http" ? fx.Http.UrlFor("bomb") : fx.Daemon.UrlFor("bomb");
        var request = Request(url) with { MaxFiles = 100_000, MaxCheckoutBytes = 2048L * 1024 * 1024 };
        var (_, error, written) = CloneWatched(request);
        Assert.Equal(CloneFailureKind.RepositoryTooLarge, error!.Kind);
        Assert.Contains("more than 100,000 entries", error.Message);
        Assert.Empty(written);
        Assert.False(Directory.Exists(request.TargetDirectory));
        output.WriteLine($"the bomb's tree has {GuardedCloneFixture.BombEntries} entries");
    }

    [Fact]
    public void A_tree_nested_thousands_deep_is_walked_without_recursion_and_refused_past_the_limit()
    {
        var request = Request(fx.Http.UrlFor("deep")) with { MaxFiles = GuardedCloneFixture.DeepLevels };
        var (_, error, written) = CloneWatched(request);
        Assert.Equal(CloneFailureKind.RepositoryTooLarge, error!.Kind);
        Assert.Contains($"more than {GuardedCloneFixture.DeepLevels:N0} entries", error.Message);
        Assert.Empty(written);
        // Every level was walked: one entry fewer and the file is the one past the limit.
        Assert.Equal(GuardedCloneFixture.DeepLevels + 1, CountEntries(fx.Deep));
    }

    private static int CountEntries(string repo) =>
        GitCli.Run(repo, "ls-tree", "-r", "-t", "--name-only", "HEAD").Split('\n').Length;

    [Fact]
    public void Cancelling_while_files_are_written_stops_the_checkout()
    {
        var request = Request(fx.Big);
        using var cts = new CancellationTokenSource();
        var written = new List<string>();
        Assert.ThrowsAny<OperationCanceledException>(() => RepositoryCloner.Clone(request, null, cts.Token, path =>
        {
            written.Add(path);
            cts.Cancel();
        }));
        output.WriteLine($"{written.Count} of 24 files written");
        Assert.Single(written);
        Assert.False(Directory.Exists(request.TargetDirectory));
        var target = Path.GetFileName(request.TargetDirectory);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(request.TargetDirectory)!),
            entry => Path.GetFileName(entry).StartsWith(target, StringComparison.Ordinal));
    }
}
