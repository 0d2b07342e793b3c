namespace Pharos.EndToEnd.Tests;

/// <summary>One cloud process, one edge process and both git servers, shared by the tests of the class.</summary>
public sealed class CompletionCluster : IAsyncLifetime
{
    public TestBed Bed { get; } = new();
    public GitSources Sources { get; private set; } = null!;
    public CloudProcess Cloud { get; private set; } = null!;
    public EdgeProcess Edge { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sources = Bed.Own(await GitSources.StartAsync());
        Cloud = await Bed.StartCloudAsync();
        // Enough epochs that training lasts a few seconds, so the stages can be watched.
        Edge = await Bed.StartIdleEdgeAsync(Cloud, new Dictionary<string, string?> { ["PHAROS_TRAIN_EPOCHS"] = "30" });
    }

    public async Task DisposeAsync() => await Bed.DisposeAsync();
}

public sealed class JobCompletionTests(CompletionCluster cluster, ITestOutputHelper output)
    : IClassFixture<CompletionCluster>, IDisposable
{
    private readonly Dictionary<NodeProcess, long> _marks = cluster.Bed.Marks();

    public void Dispose() => cluster.Bed.WriteLogs(output, _marks);

    [Fact]
    public async Task A_job_against_a_git_daemon_repository_completes_with_its_stages_visible_live()
    {
        var repo = cluster.Sources.CreateRealRepository("nx-daemon");
        await RunJobAndCheckAsync(cluster.Sources.Daemon!.UrlFor("nx-daemon"), repo);
    }

    [Fact]
    public async Task A_job_against_a_smart_http_repository_completes_with_its_stages_visible_live()
    {
        var repo = cluster.Sources.CreateRealRepository("nx-http");
        var before = cluster.Sources.Http!.Requests;
        await RunJobAndCheckAsync(cluster.Sources.Http.UrlFor("nx-http"), repo);
        Assert.True(cluster.Sources.Http.Requests > before, "the edge never asked the smart HTTP server");
    }

    private async Task RunJobAndCheckAsync(string url, string repo)
    {
        var (cloud, edge, bed) = (cluster.Cloud, cluster.Edge, cluster.Bed);
        await using var recorder = TestBed.RecordStatus(cloud);
        var id = await cloud.SubmitAsync(url);
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => bed.Diagnostics(), abort: edge.AbortIfExited);
        await recorder.StopAsync();

        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        var stages = recorder.StagesOf(id);
        output.WriteLine($"stages seen in /worker/status: {string.Join(", ", stages)}; statuses: {string.Join(" | ", recorder.Statuses())}");
        Assert.True(stages.Contains("training") || stages.Count > 1,
            $"/worker/status showed stages [{string.Join(", ", stages)}] for the job");
        Assert.Contains(recorder.Statuses(), s => s.StartsWith("Training Graph on ", StringComparison.Ordinal));

        var head = GitSources.Head(repo);
        Assert.Equal(head, job.Str("commit_sha"));
        Assert.True(job.Num("files_processed") > 0, job.GetRawText());
        Assert.True(job.Num("edges") > 0, job.GetRawText());
        Assert.True(job.Num("embeddings_generated") > 0, job.GetRawText());
        Assert.NotNull(job.Num("final_loss"));
        Assert.True(job.Num("attempts") >= 1, job.GetRawText());
        var seconds = job.GetProperty("stage_seconds");
        foreach (var stage in new[] { "clone", "parse", "train" })
            Assert.True(seconds.Num(stage) >= 0, $"stage_seconds.{stage} missing: {seconds.GetRawText()}");
        var timeline = job.TimelineStatuses();
        Assert.Equal("queued", timeline[0]);
        Assert.Contains("running", timeline);
        Assert.Equal("completed", timeline[^1]);

        Assert.Contains("uploading", job.GetProperty("timeline").EnumerateArray().Select(t => t.Str("detail")));
        await Scenarios.AssertResultHomeAsync(cloud, job);
        await Scenarios.WaitUntilAsync(edge.WorkDirIsEmpty, $"{edge.WorkDir} to be empty after the job", bed, TimeSpan.FromSeconds(10));

        // The worker is idle again and says so.
        await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Idle" && edge.WorkersIn(s).All(w => w.Str("state") == "idle"),
            "Idle after the job", diagnostics: () => bed.Diagnostics());
    }
}
