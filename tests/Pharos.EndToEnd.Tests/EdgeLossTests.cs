namespace Pharos.EndToEnd.Tests;

public sealed class EdgeLossTests(ITestOutputHelper output) : GitBedTest(output, daemon: false)
{
    [Fact]
    public async Task An_edge_killed_mid_job_has_its_task_requeued_and_a_second_edge_completes_it()
    {
        var repo = Sources.CreateRealRepository("nx-loss");
        var cloud = await Bed.StartCloudAsync();
        var first = await Bed.StartIdleEdgeAsync(cloud, Scenarios.LongTraining, "edge-killed");

        var id = await cloud.SubmitAsync(Sources.Http!.UrlFor("nx-loss"));
        // Leased to the first edge, the only worker there is; the second edge starts while the first clones and parses.
        await cloud.WaitForJobAsync(id, j => j.Status() == "running", "to be leased to the first edge",
            diagnostics: () => Bed.Diagnostics(), abort: first.AbortIfExited);
        var second = Bed.StartEdge(cloud, Scenarios.QuickTraining, "edge-survivor");
        var (running, worker) = await Scenarios.WaitForTrainingAsync(cloud, id, Bed, first.AbortIfExited);
        Assert.Equal(1, running.Num("attempts"));

        // The second edge is idle and known before the first one dies, so that the requeued task has somewhere to go.
        await second.WaitUntilJoinedAsync(cloud);
        await second.WaitForWorkerAsync(cloud);
        await first.Node.KillAsync();

        var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromSeconds(90), () => Bed.Diagnostics(), second.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(2, job.Num("attempts"));
        Assert.Contains("requeued", job.TimelineStatuses());
        Assert.Equal(GitSources.Head(repo), job.Str("commit_sha"));

        // The survivor did the work: its result in the cloud, nothing left in its work directory, another worker than the first.
        await Scenarios.AssertResultHomeAsync(cloud, job);
        if (worker?.Str("id") is { } killedWorker) Assert.NotEqual(killedWorker, job.Str("worker"));
        await Scenarios.WaitUntilAsync(second.WorkDirIsEmpty, $"{second.WorkDir} to be empty after the job", Bed, TimeSpan.FromSeconds(10));

        // The killed edge's worker shows offline; no live worker claims the finished task.
        await cloud.WaitForWorkerStatusAsync(
            s => first.WorkersIn(s).All(w => w.Str("state") == "offline")
                 && s.Workers().Where(w => w.Str("state") != "offline").All(w => w.Str("task_id") != id),
            "the killed edge's worker offline and no live worker on the finished task", diagnostics: () => Bed.Diagnostics());

        // A new edge process on the killed one's data directory deletes what the crash left in its work directory.
        Output.WriteLine($"the killed edge left {(first.WorkDirIsEmpty() ? "nothing" : "files")} in {first.WorkDir}");
        var restarted = Bed.StartEdge(cloud, name: "edge-restarted", dataDir: first.DataDir);
        await restarted.WaitUntilJoinedAsync(cloud);
        await Scenarios.WaitUntilAsync(restarted.WorkDirIsEmpty, $"the restarted edge to purge {restarted.WorkDir}", Bed,
            TimeSpan.FromSeconds(30));
    }
}
