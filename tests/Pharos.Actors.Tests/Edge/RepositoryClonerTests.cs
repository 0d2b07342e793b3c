using Pharos.Testing.Git;

namespace Pharos.Actors.Tests.Edge;

/// <summary>Real repositories, a real git daemon and a real smart HTTP server, shared by the cloner tests.</summary>
public sealed class ClonerServersFixture : IAsyncLifetime
{
    public const string Token = "tok-3f9a1c-secret-never-print";

    public GitRepositoryFixture Repos { get; } = new();
    public string Small { get; private set; } = "";
    public string Big { get; private set; } = "";
    public GitDaemon Daemon { get; private set; } = null!;
    public SmartHttpGitServer Http { get; private set; } = null!;
    public SmartHttpGitServer TokenHttp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Small = Repos.CreateSource("small",
            ("README.md", "# small\n"), ("src/a.txt", "alpha\n"), ("src/b.txt", "beta\n"));
        // About 6 MB of incompressible content: many transfer callbacks.
        Big = Repos.CreateRandomSource("big", fileCount: 24, bytesEach: 256 * 1024);
        Daemon = await GitDaemon.StartAsync(Repos.Root);
        Http = await SmartHttpGitServer.StartAsync(Repos.Root);
        TokenHttp = await SmartHttpGitServer.StartAsync(Repos.Root, requiredToken: Token);
    }

    public async Task DisposeAsync()
    {
        Daemon?.Dispose();
        if (Http is not null) await Http.DisposeAsync();
        if (TokenHttp is not null) await TokenHttp.DisposeAsync();
        Repos.Dispose();
    }
}

public sealed class RepositoryClonerTests(ClonerServersFixture servers, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<ClonerServersFixture>
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    /// <summary>The servers are on loopback: internal addresses allowed, and the token may go to 127.0.0.1.</summary>
    private CloneRequest Request(string url, long maxBytes = 1L << 30, string? token = null) =>
        new(url, servers.Repos.NewTargetPath(), maxBytes, Generous, token)
        {
            AllowInternalAddresses = true,
            TokenHosts = ["127.0.0.1"],
        };

    private void AssertSmallClone(CloneRequest request, CloneResult result, bool shallow)
    {
        Assert.Equal(GitRepositoryFixture.Head(servers.Small), result.CommitSha);
        Assert.Equal(result.CommitSha, GitCli.Run(request.TargetDirectory, "rev-parse", "HEAD"));
        Assert.Equal("beta\n", File.ReadAllText(Path.Combine(request.TargetDirectory, "src", "b.txt")));
        Assert.True(File.Exists(Path.Combine(request.TargetDirectory, "README.md")));
        Assert.Equal(shallow, result.Shallow);
        var commits = GitCli.Run(request.TargetDirectory, "rev-list", "--count", "HEAD");
        Assert.Equal(shallow ? "1" : "3", commits);
    }

    [Fact]
    public void Cloner_clones_a_local_path_in_full()
    {
        var request = Request(servers.Small);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: false);
    }

    [Fact]
    public void Cloner_clones_a_file_url_in_full()
    {
        var request = Request(new Uri(servers.Small).AbsoluteUri);
        Assert.StartsWith("file://", request.RepoUrl);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: false);
    }

    [Fact]
    public void Cloner_clones_from_git_daemon_in_full()
    {
        var request = Request(servers.Daemon.UrlFor("small"));
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: false);
        Assert.True(result.ReceivedBytes > 0);
    }

    [Fact]
    public void Cloner_clones_over_smart_http_shallow()
    {
        var request = Request(servers.Http.UrlFor("small"));
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: true);
        Assert.True(result.ReceivedBytes > 0);
    }

    [Fact]
    public void Cloner_accepts_an_infinite_timeout_and_no_size_limit()
    {
        var request = Request(servers.Http.UrlFor("small"), maxBytes: 0) with { Timeout = Timeout.InfiniteTimeSpan };
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: true);
    }

    [Fact]
    public void Cloner_accepts_an_existing_empty_target_directory()
    {
        var request = Request(servers.Http.UrlFor("small"));
        Directory.CreateDirectory(request.TargetDirectory);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: true);
    }

    [Fact]
    public void Cloner_refuses_a_non_empty_target_and_leaves_it_alone()
    {
        var request = Request(servers.Http.UrlFor("small"));
        Directory.CreateDirectory(request.TargetDirectory);
        var keep = Path.Combine(request.TargetDirectory, "keep.txt");
        File.WriteAllText(keep, "mine");
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        Assert.False(e.Transient);
        Assert.True(File.Exists(keep));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    public void Cloner_reports_increasing_progress(string transport)
    {
        var request = Request(transport == "http" ? servers.Http.UrlFor("big") : servers.Daemon.UrlFor("big"));
        var seen = new List<CloneProgress>();
        var result = RepositoryCloner.Clone(request, seen.Add, CancellationToken.None);

        Assert.NotEmpty(seen);
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].ReceivedBytes >= seen[i - 1].ReceivedBytes);
            Assert.True(seen[i].ReceivedObjects >= seen[i - 1].ReceivedObjects);
        }
        var last = seen[^1];
        Assert.Equal(result.ReceivedBytes, last.ReceivedBytes);
        Assert.True(last.TotalObjects > 0);
        Assert.Equal(last.TotalObjects, last.ReceivedObjects);
        Assert.True(result.ReceivedBytes > 4 * 1024 * 1024, $"received {result.ReceivedBytes} bytes");
        Assert.Equal(GitRepositoryFixture.Head(servers.Big), result.CommitSha);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    [InlineData("file")]
    public void Cloner_cancelled_from_the_first_progress_callback_throws_and_removes_the_target(string transport)
    {
        var url = transport switch
        {
            "http" => servers.Http.UrlFor("big"),
            "git" => servers.Daemon.UrlFor("big"),
            _ => new Uri(servers.Big).AbsoluteUri,
        };
        var request = Request(url);
        using var cts = new CancellationTokenSource();
        var callbacks = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => RepositoryCloner.Clone(request, _ =>
        {
            callbacks++;
            cts.Cancel();
        }, cts.Token));
        Assert.True(callbacks >= 1);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Fact]
    public void Cloner_rethrows_what_the_progress_callback_throws_and_removes_the_target()
    {
        var request = Request(servers.Daemon.UrlFor("big"));
        var e = Assert.Throws<InvalidTimeZoneException>(() => RepositoryCloner.Clone(request,
            _ => throw new InvalidTimeZoneException("from the callback"), CancellationToken.None));
        Assert.Equal("from the callback", e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Fact]
    public void Cloner_already_cancelled_token_throws_without_creating_the_target()
    {
        var request = Request(servers.Http.UrlFor("small"));
        Assert.ThrowsAny<OperationCanceledException>(() =>
            RepositoryCloner.Clone(request, null, new CancellationToken(canceled: true)));
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Fact]
    public async Task Cloner_times_out_on_a_server_that_never_answers_and_the_target_goes_away()
    {
        var request = Request(servers.Http.UrlFor("small")) with { Timeout = TimeSpan.FromSeconds(1) };
        CloneFailedException e;
        using (servers.Http.StallRequests())
        {
            e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        }
        Assert.True(e.Transient);
        Assert.Contains("timed out after", e.Message);
        await WaitUntilGone(request.TargetDirectory);
    }

    [Fact]
    public async Task Cloner_cancelled_while_the_server_stalls_throws_and_the_target_goes_away()
    {
        var request = Request(servers.Http.UrlFor("small"));
        using var cts = new CancellationTokenSource();
        using (servers.Http.StallRequests(onStalled: cts.Cancel))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => RepositoryCloner.Clone(request, null, cts.Token));
        }
        await WaitUntilGone(request.TargetDirectory);
    }

    /// <summary>An abandoned clone deletes its target when libgit2 returns; wait for that (not a timing check).</summary>
    private static async Task WaitUntilGone(string directory)
    {
        for (var i = 0; i < 600 && Directory.Exists(directory); i++) await Task.Delay(100);
        Assert.False(Directory.Exists(directory));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    public void Cloner_stops_a_repository_larger_than_MaxBytes(string transport)
    {
        var url = transport == "http" ? servers.Http.UrlFor("big") : servers.Daemon.UrlFor("big");
        var request = Request(url, maxBytes: 512 * 1024);
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        Assert.False(e.Transient);
        Assert.Contains("larger than", e.Message);
        Assert.Contains("MB", e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    public void Cloner_connection_refused_is_transient(string scheme)
    {
        var port = GitCli.FreeTcpPort();
        var request = Request($"{scheme}://127.0.0.1:{port}/small");
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.True(e.Transient, e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(403, false)]
    public void Cloner_server_error_is_transient_a_refusal_is_not(int statusCode, bool transient)
    {
        var request = Request(servers.Http.UrlFor("small"));
        servers.Http.ForcedStatus = statusCode;
        CloneFailedException e;
        try
        {
            e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        }
        finally
        {
            servers.Http.ForcedStatus = null;
        }
        output.WriteLine(e.Message);
        Assert.Equal(transient, e.Transient);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    [InlineData("path")]
    [InlineData("file")]
    public void Cloner_missing_repository_is_not_transient(string transport)
    {
        var missing = Path.Combine(servers.Repos.Root, "no-such-repo");
        var url = transport switch
        {
            "http" => servers.Http.UrlFor("no-such-repo"),
            "git" => servers.Daemon.UrlFor("no-such-repo"),
            "path" => missing,
            _ => new Uri(missing).AbsoluteUri,
        };
        var request = Request(url);
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.False(e.Transient, e.Message);
        Assert.Contains("not found", e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public void Cloner_without_the_right_token_fails_authentication_not_transient(string? token)
    {
        var request = Request(servers.TokenHttp.UrlFor("small"), token: token);
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        output.WriteLine(e.Message);
        Assert.False(e.Transient, e.Message);
        Assert.Contains("authentication", e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
        AssertNoSecret(e, ClonerServersFixture.Token);
        if (token is not null) AssertNoSecret(e, token);
    }

    [Fact]
    public void Cloner_with_the_right_token_clones()
    {
        var request = Request(servers.TokenHttp.UrlFor("small"), token: ClonerServersFixture.Token);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        AssertSmallClone(request, result, shallow: true);
        Assert.DoesNotContain(ClonerServersFixture.Token, request.ToString());
    }

    [Fact]
    public void Cloner_token_is_not_in_messages_of_other_failures()
    {
        var token = ClonerServersFixture.Token;
        var port = GitCli.FreeTcpPort();
        var refused = Request($"http://127.0.0.1:{port}/small", token: token);
        AssertNoSecret(Assert.Throws<CloneFailedException>(() =>
            RepositoryCloner.Clone(refused, null, CancellationToken.None)), token);

        var tooBig = Request(servers.TokenHttp.UrlFor("big"), maxBytes: 256 * 1024, token: token);
        AssertNoSecret(Assert.Throws<CloneFailedException>(() =>
            RepositoryCloner.Clone(tooBig, null, CancellationToken.None)), token);

        var missing = Request(servers.TokenHttp.UrlFor("no-such-repo"), token: token);
        AssertNoSecret(Assert.Throws<CloneFailedException>(() =>
            RepositoryCloner.Clone(missing, null, CancellationToken.None)), token);
    }

    private static void AssertNoSecret(Exception e, string secret)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            Assert.DoesNotContain(secret, x.Message);
        }
        Assert.DoesNotContain(secret, e.ToString());
    }
}
