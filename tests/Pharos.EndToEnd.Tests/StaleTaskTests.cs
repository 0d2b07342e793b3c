namespace Pharos.EndToEnd.Tests;

public sealed class StaleTaskTests(ITestOutputHelper output) : GitBedTest(output, daemon: false)
{
    [Fact]
    public async Task A_task_that_expired_while_no_edge_was_connected_is_skipped_without_being_cloned()
    {
        Sources.CreateRealRepository("nx-stale");
        // The queue's own sweep (at start and then hourly here) must not be what skips it: the edge's stale check is.
        var cloud = await Bed.StartCloudAsync(new Dictionary<string, string?>
        {
            ["TASK_TTL_SECONDS"] = "2",
            ["PHAROS_SWEEP_INTERVAL_SECONDS"] = "3600",
        });

        var accepted = await cloud.SubmitForJsonAsync(Sources.Http!.UrlFor("nx-stale"));
        var id = accepted.Str("task_id")!;
        var expiresAt = DateTimeOffset.Parse(accepted.Str("expires_at")!);
        // Wait out the TTL with no edge in the cluster: the task stays queued.
        await Eventually.WaitAsync(() => Task.FromResult(DateTimeOffset.UtcNow), now => now > expiresAt.AddSeconds(1),
            $"the TTL to pass ({expiresAt:O})");
        Assert.Equal("queued", (await cloud.GetJobAsync(id)).Status());

        var edge = Bed.StartEdge(cloud);
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);

        Assert.Equal("skipped", job.Status());
        Assert.Equal("ttl_expired", job.Str("reason"));
        Assert.Contains("skipped", job.TimelineStatuses());
        Assert.Equal(0, Sources.Http.Requests);
        Assert.True(edge.WorkDirIsEmpty(), $"{edge.WorkDir} holds files: the stale task was cloned");
    }
}
