using Pharos.Partition.Tests.Bed;

namespace Pharos.Partition.Tests.Scenarios;

/// <summary>
/// Partitions of the cloud side. Two cloud nodes on one Redis cut from each other but not from Redis: the split brain
/// resolver's lease in Redis lets one side stay, the other downs itself (exit code 3) and is started again, as systemd
/// would, and rejoins; the cut comes once while each of the two holds the queue singleton. One cloud node cut from
/// Redis only: it answers 503 while it cannot write, and takes submissions again when Redis is back.
/// </summary>
[Collection(PartitionCollection.Name)]
public sealed class CloudPartitionTests(ITestOutputHelper output, PartitionRepositories repositories)
    : PartitionTest(output, repositories)
{
    private const string QueueRecovered = "Queue recovered at sequence";

    [PartitionFact]
    public async Task Two_cloud_nodes_cut_from_each_other_but_not_from_Redis_keep_one_queue_whichever_side_holds_it()
    {
        const string scenario = "cloud-cloud-cut";
        var clouds = await Bed.StartCloudsAsync("cloud1", "cloud2");
        await Bed.StartEdgeAsync("edge1", clouds);
        await WaitConvergedAsync(scenario + ".start");
        await using var workload = StartWorkload();
        var rounds = PartitionSize.Get("CLOUD_CUT_ROUNDS", ci: 1, full: 6);
        for (var round = 1; round <= rounds; round++)
        {
            var holder = (await HolderAsync())!;
            var other = Bed.Clouds.Single(c => c != holder);
            // Odd rounds cut while the older node holds the queue; even rounds first move it to the other node (the
            // holder restarts, as after an upgrade), so each side holds the singleton when the link goes.
            if (round % 2 == 0)
            {
                await holder.Node.KillAsync();
                await Eventually.WaitAsync(() => Task.FromResult(Holder()), h => h == other, $"{other.Name} to take the queue over",
                    TimeSpan.FromSeconds(90), () => Bed.Diagnostics());
                await WaitConvergedAsync($"{scenario}.round{round}.moved");
                (holder, other) = (other, holder);
            }
            Output.WriteLine($"round {round}: {holder.Name} holds the queue; cutting it from {other.Name}");
            await Bed.Nemesis.CutAsync(holder.Host, other.Host);
            await Bed.Nemesis.CutAsync(other.Host, holder.Host);
            await Task.Delay(TimeSpan.FromSeconds(DownAfterSeconds + PartitionSize.Get("CLOUD_CUT_EXTRA_SECONDS", ci: 10, full: 20)));
            await Bed.Nemesis.HealAsync();
            await WaitConvergedAsync($"{scenario}.round{round}");
        }
        await ConvergeAndCheckAsync(scenario, workload);
    }

    [PartitionFact]
    public async Task A_cloud_node_cut_from_Redis_only_refuses_what_it_cannot_keep_and_takes_submissions_again_after()
    {
        const string scenario = "cloud-redis-cut";
        var cloud = await Bed.StartCloudAsync("cloud1");
        await Bed.StartEdgeAsync("edge1", [cloud]);
        await WaitConvergedAsync(scenario + ".start");
        await using var workload = StartWorkload();
        await Task.Delay(TimeSpan.FromSeconds(3));

        await Bed.Nemesis.CutAsync(cloud.Host, Bed.Redis.Host);
        await Task.Delay(TimeSpan.FromSeconds(PartitionSize.Get("REDIS_CUT_SECONDS", ci: 10, full: 60)));
        await Bed.Nemesis.HealAsync();

        // Submissions are accepted again once Redis is back.
        var mark = workload.History.Count;
        await Eventually.WaitAsync(() => Task.FromResult(workload.History.Skip(mark).Count(o => o.Status == 202)), n => n >= 2,
            "two submissions accepted after Redis came back", TimeSpan.FromSeconds(90), () => workload.Summary() + "\n" + Bed.Diagnostics());
        await ConvergeAndCheckAsync(scenario, workload);
    }

    /// <summary>The cloud node whose current process recovered the queue most recently, or null while none has.</summary>
    private CloudHost? Holder() =>
        Bed.Clouds.Where(c => !c.Node.HasExited)
            .Select(c => (Cloud: c, Line: c.Node.Log.LinesSince().LastOrDefault(l => l.Contains(QueueRecovered, StringComparison.Ordinal))))
            .Where(x => x.Line is not null).OrderBy(x => x.Line).Select(x => x.Cloud).LastOrDefault();

    private Task<CloudHost?> HolderAsync() =>
        Eventually.WaitAsync(() => Task.FromResult(Holder()), h => h is not null, "a cloud node to run the queue",
            TimeSpan.FromSeconds(90), () => Bed.Diagnostics());
}
