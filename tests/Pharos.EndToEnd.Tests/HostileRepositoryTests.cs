using Pharos.Testing.Git;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// Repositories built to hurt a node, served by a real git daemon and taken by real nodes: each ends on its first
/// attempt (completed, or failed with its reason), the node stays up and answers, and an ordinary task after them
/// completes. A standalone node too, whose API shares no process with the parsers.
/// </summary>
public sealed class HostileRepositoryTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    private static readonly Dictionary<string, string?> Quick = new() { ["PHAROS_TRAIN_EPOCHS"] = "1", ["PHAROS_TRAIN_DIMENSIONS"] = "8" };

    /// <summary>A repository, and how its job ends: "completed", or the reason it failed.</summary>
    private sealed record Case(string Name, string Ending);

    private IReadOnlyList<Case> AllCases()
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
        return
        [
            new("deep-fstrings", "completed"),
            new("deep-templates", "completed"),
            new("long-line", "completed"),
            new("symlinks", "completed"),
            new("one-namespace", "completed"),
            new("many-entries", "repository_too_large"),
            new("heavy-checkout", "repository_too_large"),
        ];
    }

    [Fact]
    public async Task Each_hostile_repository_ends_once_and_the_edge_goes_on_serving()
    {
        var cases = AllCases();
        Sources.CreateSyntheticRepository("ordinary", 30);
        var cloud = await Bed.StartCloudAsync();
        var edge = await Bed.StartIdleEdgeAsync(cloud, Quick);

        await RunAsync(cloud, cases, edge.AbortIfExited);
        Assert.False(edge.Node.HasExited, $"the edge stopped: {edge.Node.ExitDescription}");
        await Scenarios.WaitUntilAsync(edge.WorkDirIsEmpty, $"{edge.WorkDir} to be emptied", Bed, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_standalone_node_takes_hostile_repositories_and_keeps_answering()
    {
        Sources.Repositories.DeepFStrings("deep-fstrings");
        Sources.Repositories.WideTree("many-entries", entries: 150_000);
        Sources.CreateSyntheticRepository("ordinary", 30);
        var cloud = await Bed.StartCloudAsync(Quick, ["--standalone"]);
        await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Idle", "its own worker idle", diagnostics: () => Bed.Diagnostics());

        await RunAsync(cloud, [new("deep-fstrings", "completed"), new("many-entries", "repository_too_large")], cloud.AbortIfExited);
        Assert.False(cloud.Node.HasExited, $"the node stopped: {cloud.Node.ExitDescription}");
    }

    /// <summary>Submits each case in turn, then an ordinary repository; checks how each ended and that the node answers.</summary>
    private async Task RunAsync(CloudProcess cloud, IReadOnlyList<Case> cases, Func<string?> abort)
    {
        foreach (var (name, ending) in cases)
        {
            var id = await cloud.SubmitAsync(Sources.Daemon!.UrlFor(name));
            var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromMinutes(3), () => Bed.Diagnostics(), abort);
            Output.WriteLine($"{name}: {job.Status()} {job.Str("reason")} {job.Str("error")}");
            Assert.Equal((name, ending), (name, job.Status() == "completed" ? "completed" : job.Str("reason")));
            Assert.DoesNotContain("requeued", job.TimelineStatuses());
            Assert.Equal(1, job.Num("attempts"));

            var health = await cloud.Client.GetAsync("/healthz");
            Assert.True(health.IsSuccessStatusCode, $"/healthz answered {(int)health.StatusCode} after {name}");
        }

        var ordinary = await cloud.SubmitAsync(Sources.Daemon!.UrlFor("ordinary"));
        var done = await cloud.WaitForFinalAsync(ordinary, diagnostics: () => Bed.Diagnostics(), abort: abort);
        Assert.True(done.Status() == "completed", $"the ordinary job ended {done.Status()}: {done.GetRawText()}");
    }
}
