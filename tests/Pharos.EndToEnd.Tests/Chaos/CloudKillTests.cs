using System.Diagnostics;
using Pharos.Testing.Redis;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// kill -9 of the cloud node, again and again, while clients keep submitting, with the journal in a redis-server that
/// fsyncs its append-only file on every write: no task that was answered 202 may be missing after any restart.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class CloudKillTests(ITestOutputHelper output) : ChaosTest(output)
{
    [Fact]
    public async Task Every_task_answered_202_is_present_after_each_kill_9_of_the_cloud_node_on_the_redis_journal()
    {
        var rounds = ChaosSize.Get("KILL_ROUNDS", ci: 3, full: 20);
        // 202s each life of the node gives before it is killed (the stream goes on meanwhile, so requests are in flight).
        var perLife = ChaosSize.Get("KILL_ACCEPTED", ci: 6, full: 15);
        var figures = new ChaosFigures(Output, "cloud_kill");
        var redis = Bed.Own(await RedisServer.StartWithAofAsync());
        var settings = RedisJournal(redis);

        var cloud = await Bed.StartCloudAsync(settings, name: "cloud-1");
        var restarts = new List<TimeSpan>();
        var checkedTotal = 0;
        await using (var stream = SubmissionStream.Start(() => cloud, "kill"))
        {
            for (var round = 1; round <= rounds; round++)
            {
                var life = stream.Mark;
                await stream.WaitForAsync(life, a => a.Status == 202 && a.Target == cloud.Node.Name, perLife,
                    $"answered 202 by {cloud.Node.Name}", () => Bed.Diagnostics(), cloud.AbortIfExited);
                await cloud.Node.KillAsync();

                var down = Stopwatch.StartNew();
                cloud = await Bed.StartCloudAsync(settings, name: $"cloud-{round + 1}");
                restarts.Add(down.Elapsed);
                // Every 202 of the killed node (and of the new one so far) must be known to the new node.
                var accepted = stream.AcceptedIds;
                await ChaosChecks.AssertAllPresentAsync(cloud, accepted, $"after kill -9 number {round}",
                    () => stream.Summary() + "\n" + Bed.Diagnostics());
                checkedTotal += accepted.Count;
                Output.WriteLine($"round {round}: killed, restarted in {down.Elapsed.TotalSeconds:0.0} s, " +
                                 $"{accepted.Count} accepted tasks all present; {stream.Summary(life)}");
            }
            // The new node takes submissions again.
            var last = stream.Mark;
            await stream.WaitForAsync(last, a => a.Status == 202 && a.Target == cloud.Node.Name, 1,
                $"answered 202 by {cloud.Node.Name}", () => Bed.Diagnostics(), cloud.AbortIfExited);
            await stream.StopAsync();

            var answers = stream.Answers;
            var acceptedIds = stream.AcceptedIds;
            await ChaosChecks.AssertAllPresentAsync(cloud, acceptedIds, "at the end", () => stream.Summary() + "\n" + Bed.Diagnostics());
            // Nothing but 202 and the refusals of a node that is starting or gone: no 409 (every URL is new), no 5xx
            // other than 503, no 4xx.
            stream.AssertOnly(202, 503, null);

            figures.Add("kill_rounds_survived", $"{rounds}");
            figures.Add("tasks_accepted", $"{acceptedIds.Count}");
            figures.Add("presence_checks", $"{checkedTotal + acceptedIds.Count}");
            figures.Add("submissions", $"{answers.Count}");
            figures.Add("answers_503", $"{answers.Count(a => a.Status == 503)}");
            figures.Add("connection_errors", $"{answers.Count(a => a.Status is null)}");
            figures.Add("restart_to_ready_seconds_median", $"{ChaosChecks.MedianSeconds(restarts):0.0}");
        }
    }
}
