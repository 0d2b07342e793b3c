namespace Pharos.EndToEnd.Tests;

/// <summary>PHAROS_MAX_RESULT_MB: a result larger than the cloud takes fails its job, said clearly, and is not kept anywhere.</summary>
public sealed class ResultLimitTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    /// <summary>
    /// Each module adds its 64 float32 twice (vector and context vector: 512 bytes), its path and its three imports to
    /// the result: about 1.4 MB in all.
    /// </summary>
    private const int Modules = 2_500;

    [Fact]
    public async Task A_result_over_PHAROS_MAX_RESULT_MB_fails_its_job_with_result_too_large_is_not_listed_and_leaves_the_outbox_empty()
    {
        Sources.CreateSyntheticRepository("large", Modules);
        Sources.CreateRealRepository("small");
        var cloud = await Bed.StartCloudAsync(new Dictionary<string, string?> { ["PHAROS_MAX_RESULT_MB"] = "1" });
        // One epoch: the size of the result is what this is about, not its quality.
        var edge = await Bed.StartIdleEdgeAsync(cloud, new Dictionary<string, string?> { ["PHAROS_TRAIN_EPOCHS"] = "1" });

        var id = await cloud.SubmitAsync(Sources.Daemon!.UrlFor("large"));
        // A loaded machine once took 40 s to clone 5,000 such files: the default minute is too short for clone, parse,
        // train and offer.
        var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromSeconds(180), () => Bed.Diagnostics(), edge.AbortIfExited);
        Output.WriteLine(job.GetRawText());
        Assert.True(job.Status() == "failed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal("result_too_large", job.Str("reason"));
        Assert.Contains("at most 1 MB", job.Str("error"));
        Assert.Contains("PHAROS_MAX_RESULT_MB", job.Str("error"));
        // Refused when it was offered, after training: the timeline shows the upload that was refused.
        var timeline = job.Array("timeline").Select(t => t.Str("detail")).ToList();
        Assert.Contains("uploading", timeline);
        Assert.StartsWith("result_too_large", timeline[^1]);

        // Kept nowhere: not listed, not served, nothing left on the edge for a later delivery.
        Assert.DoesNotContain((await cloud.GetJsonAsync("/repos")).Array("repos"), r => r.Str("task_id") == id || r.Str("repo_url") == job.Str("repo_url"));
        await RepoRoutes.GetAsync(cloud, $"/repos/graph?{RepoRoutes.Query(job.Str("repo_url")!)}", expected: System.Net.HttpStatusCode.NotFound);
        // The outbox is there (the trained result was put in it before the offer) and empty (the refused entry is dropped).
        var outbox = Path.Combine(edge.DataDir, "outbox");
        await Scenarios.WaitUntilAsync(() => Directory.Exists(outbox) && EdgeProcess.DirectoryIsEmpty(outbox), $"{outbox} to be empty", Bed,
            TimeSpan.FromSeconds(10));

        // The limit refused that result for its size: a smaller one on the same cloud and edge is kept.
        var small = await cloud.SubmitAsync(Sources.Daemon.UrlFor("small"));
        var done = await cloud.WaitForFinalAsync(small, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.True(done.Status() == "completed", $"job ended {done.Status()}: {done.GetRawText()}");
        Assert.Contains((await cloud.GetJsonAsync("/repos")).Array("repos"), r => r.Str("task_id") == small);
    }
}
