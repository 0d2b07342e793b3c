namespace Pharos.EndToEnd.Tests;

/// <summary>A result computed while the cloud could not take it survives the edge's death and completes its job once.</summary>
public sealed class OutboxDeliveryTests(ITestOutputHelper output) : GitBedTest(output, daemon: false)
{
    // Long enough that nobody is downed while the cloud is frozen for a few seconds.
    private static readonly Dictionary<string, string?> Patient = new() { ["PHAROS_DOWN_AFTER_SECONDS"] = "30" };

    [Fact]
    public async Task An_edge_killed_with_an_undelivered_result_delivers_it_from_its_outbox_when_it_comes_back_and_the_job_completes_once()
    {
        var repo = Sources.CreateRealRepository("nx-outbox");
        var cloud = await Bed.StartCloudAsync(Patient);
        var first = await Bed.StartIdleEdgeAsync(cloud, Patient, "edge-first");
        var id = await cloud.SubmitAsync(Sources.Http!.UrlFor("nx-outbox"));
        await Scenarios.WaitForTrainingAsync(cloud, id, Bed, first.AbortIfExited);

        // The cloud stops answering while the edge trains: the finished result waits in the edge's outbox, undelivered.
        await cloud.Node.SuspendAsync();
        var outbox = Path.Combine(first.DataDir, "outbox");
        await Scenarios.WaitUntilAsync(() => Directory.Exists(outbox) && Directory.EnumerateFiles(outbox, "*.result").Any(),
            $"a result in {outbox}", Bed, TimeSpan.FromSeconds(120));
        await first.Node.KillAsync();
        await cloud.Node.ResumeAsync();
        Assert.NotEqual("completed", (await cloud.GetJobAsync(id)).Status());

        // The edge comes back on the same data directory: it delivers the result before it takes any work.
        var back = Bed.StartEdge(cloud, Patient, "edge-back", first.DataDir);
        var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromSeconds(120), () => Bed.Diagnostics(), back.AbortIfExited);

        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(1, job.Num("attempts")); // delivered, not trained again
        Assert.Single(job.TimelineStatuses(), s => s == "completed");
        Assert.Equal(GitSources.Head(repo), job.Str("commit_sha"));
        await Scenarios.AssertResultHomeAsync(cloud, job);
        Assert.Empty(Directory.EnumerateFiles(outbox));
        Assert.True(back.Node.Log.Contains("left by an earlier run"), back.Node.Describe());
        // Then it works as any edge.
        await back.WaitForWorkerAsync(cloud);
    }
}
