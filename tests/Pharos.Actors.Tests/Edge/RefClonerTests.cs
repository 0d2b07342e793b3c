using Pharos.Testing.Git;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// A repository with history off its default branch: <c>main</c> (three commits, the first tagged <c>v1</c>, annotated)
/// and a branch <c>feature</c> from the first commit, with a lightweight tag <c>feature-tip</c> at its tip; served as a
/// path, by a real git daemon and by a real smart HTTP server.
/// </summary>
public sealed class RefServersFixture : IAsyncLifetime
{
    public GitRepositoryFixture Repos { get; } = new();
    public string Source { get; private set; } = "";
    public string First { get; private set; } = "";
    public string Main { get; private set; } = "";
    public string Feature { get; private set; } = "";
    public GitDaemon Daemon { get; private set; } = null!;
    public SmartHttpGitServer Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Source = Repos.CreateSource("refs", ("README.md", "# first\n"));
        GitCli.Run(Source, "branch", "-M", "main");
        First = GitRepositoryFixture.Head(Source);
        GitCli.Run(Source, "tag", "-a", "v1", "-m", "the first release");
        GitCli.Run(Source, "checkout", "-q", "-b", "feature");
        GitRepositoryFixture.Commit(Source, "feature.txt", "on the feature branch\n"u8.ToArray());
        Feature = GitRepositoryFixture.Head(Source);
        GitCli.Run(Source, "tag", "feature-tip");
        GitCli.Run(Source, "checkout", "-q", "main");
        GitRepositoryFixture.Commit(Source, "second.txt", "second\n"u8.ToArray());
        GitRepositoryFixture.Commit(Source, "third.txt", "third\n"u8.ToArray());
        Main = GitRepositoryFixture.Head(Source);
        Daemon = await GitDaemon.StartAsync(Repos.Root);
        Http = await SmartHttpGitServer.StartAsync(Repos.Root);
    }

    public async Task DisposeAsync()
    {
        Daemon?.Dispose();
        if (Http is not null) await Http.DisposeAsync();
        Repos.Dispose();
    }

    public string Url(string transport) => transport switch
    {
        "http" => Http.UrlFor("refs"),
        "git" => Daemon.UrlFor("refs"),
        _ => Source,
    };
}

/// <summary>The cloner checks out the branch, tag or commit a task names, over every transport, and says when there is none.</summary>
public sealed class RefClonerTests(RefServersFixture servers, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RefServersFixture>
{
    private CloneRequest Request(string transport, string? gitRef) =>
        new(servers.Url(transport), servers.Repos.NewTargetPath(), 1L << 30, TimeSpan.FromMinutes(2), null)
        {
            AllowInternalAddresses = true,
            Ref = gitRef,
        };

    private static string Head(CloneRequest request) => GitCli.Run(request.TargetDirectory, "rev-parse", "HEAD");

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    [InlineData("path")]
    public void A_branch_is_checked_out_at_its_tip(string transport)
    {
        var request = Request(transport, "feature");
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);

        Assert.Equal(servers.Feature, result.CommitSha);
        Assert.Equal(servers.Feature, Head(request));
        Assert.Equal("on the feature branch\n", File.ReadAllText(Path.Combine(request.TargetDirectory, "feature.txt")));
        Assert.False(File.Exists(Path.Combine(request.TargetDirectory, "second.txt")));
        // Shallow where the transport allows it: one commit over http, the branch's two elsewhere.
        Assert.Equal(transport == "http", result.Shallow);
        Assert.Equal(transport == "http" ? "1" : "2", GitCli.Run(request.TargetDirectory, "rev-list", "--count", "HEAD"));
    }

    [Theory]
    [InlineData("http", "v1")]
    [InlineData("git", "v1")]
    [InlineData("path", "refs/tags/v1")]
    [InlineData("http", "refs/heads/feature")]
    [InlineData("path", "feature-tip")]
    public void A_tag_or_a_full_name_is_checked_out_at_its_commit(string transport, string gitRef)
    {
        var request = Request(transport, gitRef);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);

        var expected = gitRef.Contains("feature") ? servers.Feature : servers.First;
        Assert.Equal(expected, result.CommitSha);
        Assert.Equal(expected, Head(request));
        Assert.True(File.Exists(Path.Combine(request.TargetDirectory, "README.md")));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("git")]
    [InlineData("path")]
    public void A_commit_no_ref_points_at_is_found_by_its_sha(string transport)
    {
        // The first commit is under main's tip and the v1 tag's object: no ref names it directly.
        var request = Request(transport, servers.First);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);

        Assert.Equal(servers.First, result.CommitSha);
        Assert.Equal(servers.First, Head(request));
        Assert.Equal(["README.md"], Directory.EnumerateFiles(request.TargetDirectory).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("path")]
    public void The_tip_of_a_branch_is_found_by_its_sha(string transport)
    {
        var request = Request(transport, servers.Main);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        Assert.Equal(servers.Main, result.CommitSha);
        Assert.True(File.Exists(Path.Combine(request.TargetDirectory, "third.txt")));
    }

    [Theory]
    [InlineData("http", "no-such-branch")]
    [InlineData("git", "no-such-branch")]
    [InlineData("path", "refs/heads/no-such-branch")]
    [InlineData("http", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("path", "0123456789abcdef0123456789abcdef01234567")]
    public void A_ref_the_repository_does_not_have_fails_as_ref_not_found_and_leaves_nothing(string transport, string gitRef)
    {
        var request = Request(transport, gitRef);
        var e = Assert.Throws<CloneFailedException>(() => RepositoryCloner.Clone(request, null, CancellationToken.None));
        output.WriteLine(e.Message);

        Assert.Equal(CloneFailureKind.RefNotFound, e.Kind);
        Assert.False(e.Transient);
        Assert.Contains($"{gitRef} is not a branch, tag or commit of", e.Message);
        Assert.False(Directory.Exists(request.TargetDirectory));
    }

    [Fact]
    public void Without_a_ref_the_default_branch_is_cloned_as_before()
    {
        var request = Request("http", null);
        var result = RepositoryCloner.Clone(request, null, CancellationToken.None);
        Assert.Equal(servers.Main, result.CommitSha);
    }
}
