using Pharos.EndToEnd.Tests.Support;
using Pharos.Testing.Nodes;

namespace Pharos.EndToEnd.Tests;

public sealed class CancellationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestBed _bed = new(output);
    private GitSources _sources = null!;

    public async Task InitializeAsync() => _sources = _bed.Own(await GitSources.StartAsync(http: false));

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Cancelling_a_job_mid_training_stops_it_frees_the_worker_and_empties_the_work_directory()
    {
        var repo = _sources.CreateRealRepository("nx-cancel");
        var cloud = await _bed.StartCloudAsync();
        var edge = await _bed.StartIdleEdgeAsync(cloud, Scenarios.LongTraining);

        var id = await cloud.SubmitAsync(_sources.Daemon!.UrlFor("nx-cancel"));
        await Scenarios.WaitForTrainingAsync(cloud, id, _bed, edge.AbortIfExited);
        output.WriteLine($"while training, {edge.WorkDir} was {(edge.WorkDirIsEmpty() ? "empty" : "in use")}");

        var response = await cloud.CancelAsync(id);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"DELETE /jobs/{id} answered {(int)response.StatusCode}: {body}");

        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => _bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.Equal("cancelled", job.Status());
        Assert.Contains("cancelled", job.TimelineStatuses());

        await cloud.WaitForWorkerStatusAsync(
            s => edge.WorkersIn(s).Any() && edge.WorkersIn(s).All(w => w.Str("state") == "idle" && w.Str("task_id") is null),
            "the edge's worker idle again", diagnostics: () => _bed.Diagnostics(), abort: edge.AbortIfExited);
        await Scenarios.WaitUntilAsync(edge.WorkDirIsEmpty, $"{edge.WorkDir} to be emptied after the cancellation", _bed,
            TimeSpan.FromSeconds(10));
        Assert.Empty(EdgeProcess.EmbeddingFiles(edge.EmbeddingsDir, GitSources.Head(repo)));

        // The job stays cancelled: the worker does not report it completed later.
        Assert.Equal("cancelled", (await cloud.GetJobAsync(id)).Status());
    }
}
