using Pharos.EndToEnd.Tests.Support;
using Pharos.Testing.Nodes;

namespace Pharos.EndToEnd.Tests;

public sealed class StaleTaskTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestBed _bed = new(output);
    private GitSources _sources = null!;

    public async Task InitializeAsync() => _sources = _bed.Own(await GitSources.StartAsync(daemon: false));

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_task_that_expired_while_no_edge_was_connected_is_skipped_without_being_cloned()
    {
        _sources.CreateRealRepository("nx-stale");
        // The queue's own sweep (at start and then hourly here) must not be what skips it: the edge's stale check is.
        var cloud = await _bed.StartCloudAsync(new Dictionary<string, string?>
        {
            ["TASK_TTL_SECONDS"] = "2",
            ["PHAROS_SWEEP_INTERVAL_SECONDS"] = "3600",
        });

        var accepted = await cloud.SubmitForJsonAsync(_sources.Http!.UrlFor("nx-stale"));
        var id = accepted.Str("task_id")!;
        var expiresAt = DateTimeOffset.Parse(accepted.Str("expires_at")!);
        // Wait out the TTL with no edge in the cluster: the task stays queued.
        await Eventually.WaitAsync(() => Task.FromResult(DateTimeOffset.UtcNow), now => now > expiresAt.AddSeconds(1),
            $"the TTL to pass ({expiresAt:O})");
        Assert.Equal("queued", (await cloud.GetJobAsync(id)).Status());

        var edge = _bed.StartEdge(cloud);
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => _bed.Diagnostics(), abort: edge.AbortIfExited);

        Assert.Equal("skipped", job.Status());
        Assert.Equal("ttl_expired", job.Str("reason"));
        Assert.Contains("skipped", job.TimelineStatuses());
        Assert.Equal(0, _sources.Http.Requests);
        Assert.True(edge.WorkDirIsEmpty(), $"{edge.WorkDir} holds files: the stale task was cloned");
    }
}
