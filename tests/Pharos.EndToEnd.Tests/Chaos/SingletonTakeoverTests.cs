using System.Diagnostics;
using Pharos.Testing.Redis;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// Two cloud nodes on one Redis journal. kill -9 of the one that holds the QueueActor singleton: the other takes the
/// singleton over, recovers the queue from Redis (every task answered 202 by either node is there) and accepts
/// submissions again. The full run repeats it, each time with a fresh second node joining the survivor.
/// </summary>
/// <remarks>
/// Two cloud nodes are a tie for the split brain resolver, one against one: keep-majority kept the lower address, so
/// a survivor whose address was above the dead node's downed itself and no cloud node was left. The lease-majority
/// strategy breaks the tie with a lease in Redis (Pharos.Actors.Downing.QuorumLease). The rounds alternate: the
/// survivor's address is above the dead node's in odd rounds and below it in even ones.
/// </remarks>
[Trait("Category", "Chaos")]
public sealed class SingletonTakeoverTests(ITestOutputHelper output) : ChaosTest(output)
{
    private const string QueueRecovered = "Queue recovered at sequence";

    /// <summary>The split brain resolver's lease in Redis (hocon/pharos.base.hocon, no key prefix here).</summary>
    private const string LeaseKey = "lease:pharos-split-brain";

    [Fact]
    public async Task Killing_the_cloud_node_that_holds_the_queue_moves_it_to_the_other_with_its_state_and_submissions_resume()
    {
        var takeovers = ChaosSize.Get("TAKEOVERS", ci: 2, full: 6);
        var perNode = ChaosSize.Get("TAKEOVER_ACCEPTED", ci: 5, full: 20);
        var figures = new ChaosFigures(Output, "takeover");
        var redis = Bed.Own(await RedisServer.StartWithAofAsync());
        var settings = RedisJournal(redis);
        var started = 0;
        // Each joining node (the next survivor) gets a port above the port of the node it joins in odd rounds (the
        // survivor has the higher address), below it in even rounds.
        int PortFor(CloudProcess? seed) => seed is null ? FreePort(40_000, +1) : FreePort(seed.ClusterPort, started % 2 == 0 ? +1 : -1);
        async Task<CloudProcess> StartCloudAsync(CloudProcess? seed)
        {
            var cloud = await Bed.StartCloudAsync(seed is null ? settings : new Dictionary<string, string?>(settings)
            {
                ["PHAROS_SEEDS"] = seed.Seed,
            }, name: $"cloud-{++started}", clusterPort: PortFor(seed));
            if (seed is not null)
            {
                // Both see each other up; the newcomer is younger, so the singleton stays where it is.
                await Eventually.WaitAsync(async () => (await ChaosChecks.UpMembersAsync(seed, "cloud")).Count
                                                       + (await ChaosChecks.UpMembersAsync(cloud, "cloud")).Count,
                    n => n == 4, $"{cloud.Node.Name} and {seed.Node.Name} to see each other up", null,
                    () => Bed.Diagnostics(), () => cloud.AbortIfExited() ?? seed.AbortIfExited());
            }
            return cloud;
        }

        var holder = await StartCloudAsync(null);
        // An edge older than every later cloud node and with a lower address than any: after the holder dies it is
        // the leader of the surviving side, so the split brain decision is the edge's, and having no Redis of its own
        // it must ask the survivor's arbiter.
        var edge = Bed.StartEdge(holder, new Dictionary<string, string?> { ["PHAROS_CLUSTER_PORT"] = FreePort(30_000, +1).ToString() },
            "edge-leader");
        await edge.WaitUntilJoinedAsync(holder);
        var survivor = await StartCloudAsync(holder);
        var turn = 0;
        // Submissions alternate between the two nodes: the survivor's go through its singleton proxy to the holder.
        // Paced more slowly than the other scenarios: a round lasts as long as the lease of the last one (30 s).
        await using var stream = SubmissionStream.Start(() => Interlocked.Increment(ref turn) % 2 == 0 ? holder : survivor, "takeover",
            pauseMs: 150);
        var times = new List<TimeSpan>();
        for (var round = 1; round <= takeovers; round++)
        {
            Assert.True(holder.Node.Log.Contains(QueueRecovered), $"{holder.Node.Name} (the oldest) does not run the queue\n{Bed.Diagnostics()}");
            Assert.False(survivor.Node.Log.Contains(QueueRecovered), $"{survivor.Node.Name} (the youngest) runs the queue\n{Bed.Diagnostics()}");
            var mark = stream.Mark;
            foreach (var node in new[] { holder, survivor })
                await stream.WaitForAsync(mark, a => a.Status == 202 && a.Target == node.Node.Name, perNode,
                    $"answered 202 by {node.Node.Name}", () => Bed.Diagnostics(), () => holder.AbortIfExited() ?? survivor.AbortIfExited());

            // The previous takeover's lease is given back (or lapses) before the next tie can be decided.
            await Eventually.WaitAsync(() => redis.CommandAsync("EXISTS", LeaseKey), reply => reply == ":0",
                $"the split brain lease ({LeaseKey}) to be free", TimeSpan.FromSeconds(60), () => Bed.Diagnostics());
            var survivorLog = survivor.Node.Log.Mark;
            var edgeLog = edge.Node.Log.Mark;
            Output.WriteLine($"round {round}: killing {holder.Node.Name} (port {holder.ClusterPort}); {survivor.Node.Name} " +
                             $"(port {survivor.ClusterPort}) should take over");
            await holder.Node.KillAsync();
            var killed = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var afterKill = stream.Mark;
            // The survivor downs the dead node, starts the singleton, recovers the queue from Redis and accepts again.
            await stream.WaitForAsync(afterKill, a => a.Status == 202 && a.Target == survivor.Node.Name, 1,
                $"answered 202 by {survivor.Node.Name} after {holder.Node.Name} was killed", () => Bed.Diagnostics(),
                survivor.AbortIfExited, TimeSpan.FromSeconds(120));
            var firstAccepted = stream.Since(afterKill).Where(a => a.Status == 202 && a.Target == survivor.Node.Name).Min(a => a.AnsweredAt);
            times.Add(firstAccepted - killed);
            Assert.True(survivor.Node.Log.Contains(QueueRecovered, survivorLog),
                $"{survivor.Node.Name} accepts without having recovered the queue\n{Bed.Diagnostics()}");
            // The edge (the leader) broke the tie through the survivor's arbiter, and is still a member.
            Assert.True(edge.Node.Log.Contains($"the arbiter at {survivor.Address} granted the lease", edgeLog),
                $"the edge did not get the lease from {survivor.Node.Name}'s arbiter\n{Bed.Diagnostics()}");
            Assert.False(edge.Node.HasExited, edge.Node.Describe());
            await ChaosChecks.AssertAllPresentAsync(survivor, stream.AcceptedIds, $"on {survivor.Node.Name} after takeover {round}",
                () => stream.Summary() + "\n" + Bed.Diagnostics());
            Output.WriteLine($"takeover {round}: {survivor.Node.Name} accepted again {times[^1].TotalSeconds:0.0} s after " +
                             $"{holder.Node.Name} was killed ({clock.Elapsed.TotalSeconds:0.0} s until checked); " +
                             $"{stream.AcceptedIds.Count} accepted tasks all present; {stream.Summary(mark)}");

            // The survivor holds the queue now; a fresh node joins it for the next round.
            holder = survivor;
            if (round < takeovers) survivor = await StartCloudAsync(holder);
        }
        var end = stream.Mark;
        await stream.WaitForAsync(end, a => a.Status == 202 && a.Target == holder.Node.Name, perNode,
            $"answered 202 by {holder.Node.Name}", () => Bed.Diagnostics(), holder.AbortIfExited);
        await stream.StopAsync();
        var accepted = stream.AcceptedIds;
        await ChaosChecks.AssertAllPresentAsync(holder, accepted, "at the end", () => stream.Summary() + "\n" + Bed.Diagnostics());
        stream.AssertOnly(202, 503, null);

        figures.Add("takeovers", $"{takeovers}");
        figures.Add("takeover_seconds_median", $"{ChaosChecks.MedianSeconds(times):0.0}");
        figures.Add("takeover_seconds_max", $"{times.Max(t => t.TotalSeconds):0.0}");
        figures.Add("tasks_accepted", $"{accepted.Count}");
        figures.Add("tasks_checked", $"{accepted.Count}");
        figures.Add("answers_503", $"{stream.Answers.Count(a => a.Status == 503)}");
    }

    /// <summary>The first port after <paramref name="from"/>, going in <paramref name="step"/>, free on 127.0.0.1 now.</summary>
    private static int FreePort(int from, int step)
    {
        for (var port = from + step; port is > 1024 and < 65_536; port += step)
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return port;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
            finally
            {
                listener.Stop();
            }
        }
        throw new InvalidOperationException($"no free port from {from} by {step}");
    }
}
