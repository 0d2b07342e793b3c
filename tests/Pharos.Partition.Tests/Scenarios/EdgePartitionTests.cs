using Pharos.Messages.Events;
using Pharos.Partition.Tests.Bed;
using Pharos.Partition.Tests.Checking;
using Pharos.Partition.Tests.History;

namespace Pharos.Partition.Tests.Scenarios;

/// <summary>
/// An edge cut off from the cluster while it works: for less than <c>PHAROS_DOWN_AFTER_SECONDS</c> it keeps its task
/// and finishes it; for longer it is downed, its task goes to the other edge, and it rejoins by itself when the link
/// comes back; a link that flaps; a cut while the result is on its way home; a one-way cut (the edge hears the cloud,
/// the cloud does not hear the edge). The workload runs throughout and the checker reads the whole history.
/// </summary>
[Collection(PartitionCollection.Name)]
public sealed class EdgePartitionTests(ITestOutputHelper output, PartitionRepositories repositories)
    : PartitionTest(output, repositories)
{
    [PartitionFact]
    public async Task An_edge_cut_mid_training_for_less_than_the_down_after_time_keeps_its_task_and_completes_it_once()
    {
        const string scenario = "edge-short-cut";
        var (cloud, edge, workload, big) = await StartAsync(scenario, edges: 1);
        await using var _ = workload;
        await WaitForStageAsync(cloud, big, "training");

        await Bed.Nemesis.IsolateAsync(edge.Host);
        await Task.Delay(TimeSpan.FromSeconds(DownAfterSeconds / 2.0));
        await Bed.Nemesis.HealAsync();

        await ConvergeAndCheckAsync(scenario, workload);
        Assert.Equal(1, await LeasesOfAsync(big));
        Assert.Equal("completed", (await cloud.GetJsonAsync($"/jobs/{big}")).Status());
    }

    [PartitionFact]
    public async Task An_edge_cut_mid_training_for_longer_than_the_down_after_time_loses_its_task_to_another_edge_and_rejoins()
    {
        const string scenario = "edge-long-cut";
        var (cloud, edge, workload, big) = await StartAsync(scenario, edges: 1);
        await using var _ = workload;
        await WaitForStageAsync(cloud, big, "training");
        // The second edge joins once the first holds the task, so the task is the first edge's to lose.
        await Bed.StartEdgeAsync("edge2", [cloud]);

        await Bed.Nemesis.IsolateAsync(edge.Host);
        await Task.Delay(TimeSpan.FromSeconds(DownAfterSeconds + PartitionSize.Get("LONG_CUT_EXTRA_SECONDS", ci: 10, full: 30)));
        await Bed.Nemesis.HealAsync();

        await ConvergeAndCheckAsync(scenario, workload);
        Assert.True(await LeasesOfAsync(big) >= 2, $"the task of the edge that was cut off was never leased again\n{Bed.Diagnostics()}");
        Assert.Equal("completed", (await cloud.GetJsonAsync($"/jobs/{big}")).Status());
    }

    [PartitionFact]
    public async Task An_edge_whose_link_flaps_loses_nothing_and_the_cluster_converges()
    {
        const string scenario = "edge-flapping";
        var (cloud, edge, workload, big) = await StartAsync(scenario, edges: 2);
        await using var _ = workload;
        await WaitForStageAsync(cloud, big, "cloning");

        await Bed.Nemesis.FlapAsync(edge.Host, TimeSpan.FromSeconds(PartitionSize.Get("FLAP_PERIOD_SECONDS", ci: 2, full: 3)),
            TimeSpan.FromSeconds(PartitionSize.Get("FLAP_SECONDS", ci: 8, full: 60)));

        await ConvergeAndCheckAsync(scenario, workload);
        Assert.Equal("completed", (await cloud.GetJsonAsync($"/jobs/{big}")).Status());
    }

    [PartitionFact]
    public async Task An_edge_cut_while_its_result_is_on_the_way_home_delivers_it_once_when_the_link_returns()
    {
        const string scenario = "edge-delivery-cut";
        var (cloud, edge, workload, big) = await StartAsync(scenario, edges: 1);
        await using var _ = workload;
        // Storing, then uploading: the result is in the edge's outbox from the end of storing until the cloud has it.
        var job = await Eventually.WaitAsync(() => cloud.GetJsonAsync($"/jobs/{big}"),
            j => j.Str("stage") is "storing" or "uploading" || Job.IsFinal(j), $"task {big} to store its result", TimeSpan.FromSeconds(120),
            () => Bed.Diagnostics(), pollInterval: TimeSpan.FromMilliseconds(20));
        await Bed.Nemesis.IsolateAsync(edge.Host);
        Output.WriteLine($"cut at stage {job.Str("stage") ?? job.Status()}");
        await Task.Delay(TimeSpan.FromSeconds(DownAfterSeconds / 2.0));
        await Bed.Nemesis.HealAsync();

        await ConvergeAndCheckAsync(scenario, workload);
        Assert.Equal("completed", (await cloud.GetJsonAsync($"/jobs/{big}")).Status());
        using var embeddings = await cloud.Client.GetAsync($"/repos/embeddings?repo_url={Uri.EscapeDataString(Bed.BigUrl)}");
        Assert.True(embeddings.IsSuccessStatusCode, $"the result of {big} is not in the cloud: {(int)embeddings.StatusCode}");
    }

    [PartitionFact]
    public async Task An_edge_the_cloud_cannot_hear_while_it_hears_the_cloud_is_downed_and_rejoins_and_nothing_is_lost()
    {
        const string scenario = "edge-one-way-cut";
        var (cloud, edge, workload, big) = await StartAsync(scenario, edges: 2);
        await using var _ = workload;
        await WaitForStageAsync(cloud, big, "training");

        await Bed.Nemesis.CutOneWayAsync(edge.Host, cloud.Host);
        await Task.Delay(TimeSpan.FromSeconds(DownAfterSeconds + PartitionSize.Get("ONE_WAY_EXTRA_SECONDS", ci: 10, full: 30)));
        await Bed.Nemesis.HealAsync();

        await ConvergeAndCheckAsync(scenario, workload);
        Assert.Equal("completed", (await cloud.GetJsonAsync($"/jobs/{big}")).Status());
    }

    /// <summary>
    /// One cloud node and <paramref name="edges"/> edges (the first is the one the scenario cuts), converged; the
    /// workload running and the networkx task submitted.
    /// </summary>
    private async Task<(CloudHost Cloud, EdgeHost Edge, Workload Workload, string Big)> StartAsync(string scenario, int edges)
    {
        var cloud = await Bed.StartCloudAsync("cloud1");
        var edge = await Bed.StartEdgeAsync("edge1", [cloud]);
        for (var i = 2; i <= edges; i++) await Bed.StartEdgeAsync($"edge{i}", [cloud]);
        await WaitConvergedAsync(scenario + ".start");
        var (workload, big) = await StartWorkloadAfterBigAsync(cloud);
        return (cloud, edge, workload, big);
    }

    private async Task<int> LeasesOfAsync(string taskId)
    {
        var journal = await JournalReader.ReadAsync(Bed.Redis.Observer.GetDatabase());
        return journal.Entries.Select(e => e.Event).OfType<TaskLeased>().Count(l => l.TaskId == taskId);
    }
}
