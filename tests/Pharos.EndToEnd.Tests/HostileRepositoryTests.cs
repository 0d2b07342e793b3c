using Pharos.Testing.Git;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// Repositories built to hurt a node, served by a real git daemon and taken by real nodes: each ends on its first
/// attempt (completed, or failed with its reason), the node stays up and answers, and an ordinary task after them
/// completes. A standalone node too, whose API shares no process with the parsers.
/// </summary>
public sealed class HostileRepositoryTests(HostileSources hostile, ITestOutputHelper output)
    : BedTest(output), IClassFixture<HostileSources>
{
    private static readonly Dictionary<string, string?> Quick = new() { ["PHAROS_TRAIN_EPOCHS"] = "1", ["PHAROS_TRAIN_DIMENSIONS"] = "8" };

    [Fact]
    public async Task Each_hostile_repository_ends_once_and_the_edge_goes_on_serving()
    {
        var cloud = await Bed.StartCloudAsync();
        var edge = await Bed.StartIdleEdgeAsync(cloud, Quick);
        await hostile.CreatedAsync();

        await RunAsync(cloud, HostileSources.Cases, edge.AbortIfExited);
        Assert.False(edge.Node.HasExited, $"the edge stopped: {edge.Node.ExitDescription}");
        await Scenarios.WaitUntilAsync(edge.WorkDirIsEmpty, $"{edge.WorkDir} to be emptied", Bed, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_standalone_node_takes_hostile_repositories_and_keeps_answering()
    {
        var cloud = await Bed.StartCloudAsync(Quick, ["--standalone"]);
        await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Idle", "its own worker idle", diagnostics: () => Bed.Diagnostics());
        await hostile.CreatedAsync();

        await RunAsync(cloud, [new("deep-fstrings", "completed"), new("many-entries", "repository_too_large")], cloud.AbortIfExited);
        Assert.False(cloud.Node.HasExited, $"the node stopped: {cloud.Node.ExitDescription}");
    }

    /// <summary>Submits each case in turn, then an ordinary repository; checks how each ended and that the node answers.</summary>
    private async Task RunAsync(CloudProcess cloud, IReadOnlyList<HostileSources.Case> cases, Func<string?> abort)
    {
        var daemon = hostile.Sources.Daemon!;
        foreach (var (name, ending) in cases)
        {
            var id = await cloud.SubmitAsync(daemon.UrlFor(name));
            var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromMinutes(3), () => Bed.Diagnostics(), abort);
            Output.WriteLine($"{name}: {job.Status()} {job.Str("reason")} {job.Str("error")}");
            Assert.Equal((name, ending), (name, job.Status() == "completed" ? "completed" : job.Str("reason")));
            Assert.DoesNotContain("requeued", job.TimelineStatuses());
            Assert.Equal(1, job.Num("attempts"));

            var health = await cloud.Client.GetAsync("/healthz");
            Assert.True(health.IsSuccessStatusCode, $"/healthz answered {(int)health.StatusCode} after {name}");
        }

        var ordinary = await cloud.SubmitAsync(daemon.UrlFor(HostileSources.Ordinary));
        var done = await cloud.WaitForFinalAsync(ordinary, diagnostics: () => Bed.Diagnostics(), abort: abort);
        Assert.True(done.Status() == "completed", $"the ordinary job ended {done.Status()}: {done.GetRawText()}");
    }
}

/// <summary>
/// The hostile repositories and an ordinary one, served by a git daemon, shared by the tests of
/// <see cref="HostileRepositoryTests"/> (which only read them). Making them (a tree of 150,000 entries, 2.4 GB of checkout
/// in an 8 MB pack, thousands of files and links) takes seconds of git: it runs in the background from the start, while
/// the first test starts its nodes.
/// </summary>
public sealed class HostileSources : IAsyncLifetime
{
    /// <summary>A repository, and how its job ends: "completed", or the reason it failed.</summary>
    public sealed record Case(string Name, string Ending);

    public static readonly IReadOnlyList<Case> Cases =
    [
        new("deep-fstrings", "completed"),
        new("deep-templates", "completed"),
        new("long-line", "completed"),
        new("symlinks", "completed"),
        new("one-namespace", "completed"),
        new("many-entries", "repository_too_large"),
        new("heavy-checkout", "repository_too_large"),
    ];

    /// <summary>30 generated modules: the task after the hostile ones, which must complete.</summary>
    public const string Ordinary = "ordinary";

    private Task _created = Task.CompletedTask;

    public GitSources Sources { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sources = await GitSources.StartAsync(http: false);
        _created = Task.Run(() =>
        {
            var repos = Sources.Repositories;
            repos.DeepFStrings("deep-fstrings");
            repos.DeepTemplates("deep-templates");
            repos.OneMegabyteLine("long-line");
            repos.SymlinkFarm("symlinks");
            repos.OneNamespace("one-namespace");
            // Past PHAROS_MAX_FILES (100,000 entries) in a pack of a few KB.
            repos.WideTree("many-entries", entries: 150_000);
            // Past PHAROS_MAX_CHECKOUT_MB (2048): 300 entries of one 8 MB blob, 2.4 GB checked out from an 8 MB pack.
            repos.WideTree("heavy-checkout", entries: 300, blobBytes: 8 << 20);
            Sources.CreateSyntheticRepository(Ordinary, 30);
        });
    }

    /// <summary>Until every repository is committed (what failed, fails the test).</summary>
    public Task CreatedAsync() => _created;

    public async Task DisposeAsync()
    {
        // The repositories' directory goes with the sources: not while git still writes in it.
        await _created.ContinueWith(_ => { }, TaskScheduler.Default);
        await Sources.DisposeAsync();
    }
}
