namespace Pharos.EndToEnd.Tests;

public sealed class CancellationTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    [Fact]
    public async Task Cancelling_a_job_mid_training_stops_it_frees_the_worker_and_empties_the_work_directory()
    {
        var repo = Sources.CreateRealRepository("nx-cancel");
        var cloud = await Bed.StartCloudAsync();
        var edge = await Bed.StartIdleEdgeAsync(cloud, Scenarios.LongTraining);

        var id = await cloud.SubmitAsync(Sources.Daemon!.UrlFor("nx-cancel"));
        await Scenarios.WaitForTrainingAsync(cloud, id, Bed, edge.AbortIfExited);
        Output.WriteLine($"while training, {edge.WorkDir} was {(edge.WorkDirIsEmpty() ? "empty" : "in use")}");

        // The training runs in a job process of the edge's: cancelling kills it.
        var jobs = ChildProcesses.Of(edge.Node.Pid, "job", "analyze");
        Assert.NotEmpty(jobs);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var response = await cloud.CancelAsync(id);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"DELETE /jobs/{id} answered {(int)response.StatusCode}: {body}");
        await Scenarios.WaitUntilAsync(() => !jobs.Any(ChildProcesses.IsRunning), "the job process to be killed", Bed,
            TimeSpan.FromSeconds(30));
        Output.WriteLine($"DELETE /jobs/{id} → the analysis job process gone in {clock.Elapsed.TotalMilliseconds:0} ms");

        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.Equal("cancelled", job.Status());
        Assert.Contains("cancelled", job.TimelineStatuses());

        await cloud.WaitForWorkerStatusAsync(
            s => edge.WorkersIn(s).Any() && edge.WorkersIn(s).All(w => w.Str("state") == "idle" && w.Str("task_id") is null),
            "the edge's worker idle again", diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        await Scenarios.WaitUntilAsync(edge.WorkDirIsEmpty, $"{edge.WorkDir} to be emptied after the cancellation", Bed,
            TimeSpan.FromSeconds(10));
        Assert.False(await Scenarios.HasResultAsync(cloud, job.Str("repo_url")!), "a cancelled job's result was stored");

        // The job stays cancelled: the worker does not report it completed later.
        Assert.Equal("cancelled", (await cloud.GetJobAsync(id)).Status());
    }
}
