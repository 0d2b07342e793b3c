using Pharos.EndToEnd.Tests.Support;
using Pharos.Testing.Nodes;

namespace Pharos.EndToEnd.Tests;

public sealed class EdgeLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestBed _bed = new(output);
    private GitSources _sources = null!;

    public async Task InitializeAsync() => _sources = _bed.Own(await GitSources.StartAsync(daemon: false));

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task An_edge_killed_mid_job_has_its_task_requeued_and_a_second_edge_completes_it()
    {
        var repo = _sources.CreateRealRepository("nx-loss");
        var cloud = await _bed.StartCloudAsync();
        var first = await _bed.StartIdleEdgeAsync(cloud, Scenarios.LongTraining, "edge-killed");

        var id = await cloud.SubmitAsync(_sources.Http!.UrlFor("nx-loss"));
        var (running, worker) = await Scenarios.WaitForTrainingAsync(cloud, id, _bed, first.AbortIfExited);
        Assert.Equal(1, running.Num("attempts"));

        // The second edge is idle and known before the first one dies, so that the requeued task has somewhere to go.
        var second = await _bed.StartIdleEdgeAsync(cloud, name: "edge-survivor");
        await first.Node.KillAsync();

        var job = await cloud.WaitForFinalAsync(id, TimeSpan.FromSeconds(90), () => _bed.Diagnostics(), second.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(2, job.Num("attempts"));
        Assert.Contains("requeued", job.TimelineStatuses());
        Assert.Equal(GitSources.Head(repo), job.Str("commit_sha"));

        // The survivor did the work: its embeddings, nothing left in its work directory, and another worker than the first.
        Assert.NotEmpty(EdgeProcess.EmbeddingFiles(second.EmbeddingsDir, GitSources.Head(repo)));
        Assert.Empty(EdgeProcess.EmbeddingFiles(first.EmbeddingsDir, GitSources.Head(repo)));
        if (worker?.Str("id") is { } killedWorker) Assert.NotEqual(killedWorker, job.Str("worker"));
        await Scenarios.WaitUntilAsync(second.WorkDirIsEmpty, $"{second.WorkDir} to be empty after the job", _bed, TimeSpan.FromSeconds(10));

        // The killed edge's worker shows offline; no live worker claims the finished task.
        await cloud.WaitForWorkerStatusAsync(
            s => first.WorkersIn(s).All(w => w.Str("state") == "offline")
                 && s.Workers().Where(w => w.Str("state") != "offline").All(w => w.Str("task_id") != id),
            "the killed edge's worker offline and no live worker on the finished task", diagnostics: () => _bed.Diagnostics());

        // A new edge process on the killed one's data directory deletes what the crash left in its work directory.
        output.WriteLine($"the killed edge left {(first.WorkDirIsEmpty() ? "nothing" : "files")} in {first.WorkDir}");
        var restarted = _bed.StartEdge(cloud, name: "edge-restarted", dataDir: first.DataDir);
        await restarted.WaitUntilJoinedAsync(cloud);
        await Scenarios.WaitUntilAsync(restarted.WorkDirIsEmpty, $"the restarted edge to purge {restarted.WorkDir}", _bed,
            TimeSpan.FromSeconds(30));
    }
}
