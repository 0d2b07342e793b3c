using System.Diagnostics;
using Pharos.EndToEnd.Tests.Support;
using Pharos.Persistence.Redis.Tests.Support;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// Two cloud nodes on one Redis journal. kill -9 of the one that holds the QueueActor singleton: the other takes the
/// singleton over, recovers the queue from Redis (every task answered 202 by either node is there) and accepts
/// submissions again. The full run repeats it, each time with a fresh second node joining the survivor.
/// </summary>
/// <remarks>
/// With two cloud nodes the split brain resolver (keep-majority on role cloud) sees a tie, one against one, and keeps
/// the side with the lowest address: the survivor takes over only if its address is lower than the dead node's.
/// Otherwise it downs itself and exits, and no cloud node is left (see the skipped test below, and the README's
/// "Chaos and scale" section). The passing scenario gives each joining node a lower cluster port than the holder's.
/// </remarks>
[Trait("Category", "Chaos")]
public sealed class SingletonTakeoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string QueueRecovered = "Queue recovered at sequence";
    private readonly TestBed _bed = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public Task Killing_the_cloud_node_that_holds_the_queue_moves_it_to_the_other_with_its_state_and_submissions_resume() =>
        RunTakeoversAsync(survivorHasLowerAddress: true);

    /// <summary>The same with the survivor's address above the dead node's: the resolver's tie-break downs the survivor.</summary>
    [Fact(Skip = "Known defect: with two cloud nodes keep-majority ties and keeps the lowest address, so a survivor with a " +
                 "higher address downs itself. Needs an arbiter (a Redis lease for lease-majority); see README, Chaos and scale.")]
    public Task A_survivor_with_the_higher_address_also_takes_over() => RunTakeoversAsync(survivorHasLowerAddress: false);

    private async Task RunTakeoversAsync(bool survivorHasLowerAddress)
    {
        var takeovers = ChaosSize.Get("TAKEOVERS", ci: 1, full: 5);
        var perNode = ChaosSize.Get("TAKEOVER_ACCEPTED", ci: 5, full: 20);
        var figures = new ChaosFigures(output, "takeover");
        var redis = _bed.Own(await RedisServer.StartWithAofAsync());
        var settings = new Dictionary<string, string?>
        {
            ["PHAROS_REDIS"] = redis.ConnectionString,
            ["MAX_QUEUE_SIZE"] = "100000",
        };
        var started = 0;
        // Each joining node (the next survivor) gets a port below, or above, the port of the node it joins.
        int PortFor(CloudProcess? seed) => survivorHasLowerAddress
            ? FreePort(seed?.ClusterPort ?? 61_000, -1)
            : FreePort(seed?.ClusterPort ?? 20_000, +1);
        async Task<CloudProcess> StartCloudAsync(CloudProcess? seed)
        {
            var cloud = await _bed.StartCloudAsync(seed is null ? settings : new Dictionary<string, string?>(settings)
            {
                ["PHAROS_SEEDS"] = seed.Seed,
            }, name: $"cloud-{++started}", clusterPort: PortFor(seed));
            if (seed is not null)
            {
                // Both see each other up; the newcomer is younger, so the singleton stays where it is.
                await Eventually.WaitAsync(async () => (await ChaosChecks.UpMembersAsync(seed)).Count
                                                       + (await ChaosChecks.UpMembersAsync(cloud)).Count,
                    n => n == 4, $"{cloud.Node.Name} and {seed.Node.Name} to see each other up", null,
                    () => _bed.Diagnostics(), () => cloud.AbortIfExited() ?? seed.AbortIfExited());
            }
            return cloud;
        }

        var holder = await StartCloudAsync(null);
        var survivor = await StartCloudAsync(holder);
        var turn = 0;
        // Submissions alternate between the two nodes: the survivor's go through its singleton proxy to the holder.
        await using var stream = SubmissionStream.Start(() => Interlocked.Increment(ref turn) % 2 == 0 ? holder : survivor, "takeover");
        var times = new List<TimeSpan>();
        for (var round = 1; round <= takeovers; round++)
        {
            Assert.True(holder.Node.Log.Contains(QueueRecovered), $"{holder.Node.Name} (the oldest) does not run the queue\n{_bed.Diagnostics()}");
            Assert.False(survivor.Node.Log.Contains(QueueRecovered), $"{survivor.Node.Name} (the youngest) runs the queue\n{_bed.Diagnostics()}");
            var mark = stream.Mark;
            foreach (var node in new[] { holder, survivor })
                await stream.WaitForAsync(mark, a => a.Status == 202 && a.Target == node.Node.Name, perNode,
                    $"answered 202 by {node.Node.Name}", () => _bed.Diagnostics(), () => holder.AbortIfExited() ?? survivor.AbortIfExited());

            var survivorLog = survivor.Node.Log.Mark;
            await holder.Node.KillAsync();
            var killed = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var afterKill = stream.Mark;
            // The survivor downs the dead node, starts the singleton, recovers the queue from Redis and accepts again.
            await stream.WaitForAsync(afterKill, a => a.Status == 202 && a.Target == survivor.Node.Name, 1,
                $"answered 202 by {survivor.Node.Name} after {holder.Node.Name} was killed", () => _bed.Diagnostics(),
                survivor.AbortIfExited, TimeSpan.FromSeconds(120));
            var firstAccepted = stream.Since(afterKill).Where(a => a.Status == 202 && a.Target == survivor.Node.Name).Min(a => a.AnsweredAt);
            times.Add(firstAccepted - killed);
            Assert.True(survivor.Node.Log.Contains(QueueRecovered, survivorLog),
                $"{survivor.Node.Name} accepts without having recovered the queue\n{_bed.Diagnostics()}");
            await ChaosChecks.AssertAllPresentAsync(survivor, stream.AcceptedIds, $"on {survivor.Node.Name} after takeover {round}",
                () => stream.Summary() + "\n" + _bed.Diagnostics());
            output.WriteLine($"takeover {round}: {survivor.Node.Name} accepted again {times[^1].TotalSeconds:0.0} s after " +
                             $"{holder.Node.Name} was killed ({clock.Elapsed.TotalSeconds:0.0} s until checked); " +
                             $"{stream.AcceptedIds.Count} accepted tasks all present; {stream.Summary(mark)}");

            // The survivor holds the queue now; a fresh node joins it for the next round.
            holder = survivor;
            if (round < takeovers) survivor = await StartCloudAsync(holder);
        }
        var end = stream.Mark;
        await stream.WaitForAsync(end, a => a.Status == 202 && a.Target == holder.Node.Name, perNode,
            $"answered 202 by {holder.Node.Name}", () => _bed.Diagnostics(), holder.AbortIfExited);
        await stream.StopAsync();
        var accepted = stream.AcceptedIds;
        await ChaosChecks.AssertAllPresentAsync(holder, accepted, "at the end", () => stream.Summary() + "\n" + _bed.Diagnostics());
        var unexpected = stream.Answers.Where(a => a.Status is not (null or 202 or 503)).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected answers: {string.Join("; ", unexpected.Take(5).Select(a => $"{a.Status} {a.Error}"))}");

        figures.Add("takeovers", $"{takeovers}");
        figures.Add("takeover_seconds_median", $"{times.Select(t => t.TotalSeconds).Order().ElementAt(times.Count / 2):0.0}");
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
