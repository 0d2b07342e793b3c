namespace Pharos.EndToEnd.Tests;

public sealed class RejoinTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    [Fact]
    public async Task An_edge_frozen_past_the_failure_detector_rejoins_by_itself_when_resumed_and_takes_work_again()
    {
        var repo = Sources.CreateRealRepository("nx-rejoin");
        var cloud = await Bed.StartCloudAsync();
        var edge = await Bed.StartIdleEdgeAsync(cloud, Scenarios.QuickTraining);
        var firstAddress = edge.Address!;
        var pid = edge.Node.Pid;

        await edge.Node.SuspendAsync();
        // The cloud sees the worker go offline, and the split brain resolver downs and removes the frozen node.
        await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Offline"
                                                  && s.Workers().All(w => w.Str("state") == "offline"),
            "Offline while the only edge is frozen", diagnostics: () => Bed.Diagnostics());
        var mark = cloud.Node.Log.Mark;
        await Eventually.WaitAsync(() => Task.FromResult(cloud.Node.Log.LinesSince().Any(l =>
                l.Contains(firstAddress, StringComparison.Ordinal) && l.Contains("removing", StringComparison.OrdinalIgnoreCase))),
            removed => removed, $"the cloud to remove {firstAddress}", diagnostics: () => Bed.Diagnostics(), abort: cloud.AbortIfExited);

        await edge.Node.ResumeAsync();
        // Same process, new actor system (a new address), back in the cluster with an idle worker.
        await Eventually.WaitAsync(() => Task.FromResult(edge.Addresses().Count), n => n >= 2,
            "the resumed edge to start a new actor system", TimeSpan.FromSeconds(90), () => Bed.Diagnostics(), edge.AbortIfExited);
        await edge.WaitUntilJoinedAsync(cloud, TimeSpan.FromSeconds(90));
        await edge.WaitForWorkerAsync(cloud, TimeSpan.FromSeconds(90));
        Assert.Equal(pid, edge.Node.Pid);
        Assert.False(edge.Node.HasExited);
        Assert.True(cloud.Node.Log.LinesSince(mark).Any(l => l.Contains(edge.Address!, StringComparison.Ordinal)),
            "the cloud never logged the edge's new address");

        var id = await cloud.SubmitAsync(Sources.Daemon!.UrlFor("nx-rejoin"));
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        await Scenarios.AssertResultHomeAsync(cloud, job);
        Assert.Equal(pid, edge.Node.Pid);
        Assert.False(edge.Node.HasExited);
    }
}
