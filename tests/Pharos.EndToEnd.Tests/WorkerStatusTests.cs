namespace Pharos.EndToEnd.Tests;

public sealed class WorkerStatusTests(ITestOutputHelper output) : BedTest(output)
{
    [Fact]
    public async Task Worker_status_says_Offline_without_an_edge_and_Idle_once_one_joins()
    {
        var cloud = await Bed.StartCloudAsync();
        var offline = await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Offline", "Offline with no edge");
        Assert.All(offline.Workers(), w => Assert.Equal("offline", w.Str("state")));

        var edge = Bed.StartEdge(cloud);
        await edge.WaitUntilJoinedAsync(cloud);
        var idle = await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Idle", "Idle once an edge joined",
            diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        var worker = Assert.Single(edge.WorkersIn(idle));
        Assert.Equal("idle", worker.Str("state"));
        Assert.Null(worker.Str("task_id"));
        var queue = idle.GetProperty("queue");
        Assert.Equal(0, queue.Num("pending"));
        Assert.Equal(0, queue.Num("in_flight"));
    }
}
