using System.Diagnostics;
using Pharos.Testing.Redis;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// The Redis journal's server dies (kill -9) and comes back while clients keep submitting: while it is down ingest
/// answers 503 with Retry-After and never a 202; once it is back the same cloud process (never restarted) accepts
/// again, and every task that was answered 202 is there.
/// </summary>
[Trait("Category", "Chaos")]
public sealed class RedisOutageTests(ITestOutputHelper output) : ChaosTest(output)
{
    [Fact]
    public async Task While_redis_is_down_ingest_answers_503_and_after_it_returns_submissions_resume_with_nothing_accepted_lost()
    {
        var outages = ChaosSize.Get("REDIS_OUTAGES", ci: 1, full: 3);
        // 503s each outage must show before Redis is started again: the outage lasts until that many were seen.
        var refusalsPerOutage = ChaosSize.Get("REDIS_OUTAGE_503", ci: 5, full: 40);
        var figures = new ChaosFigures(Output, "redis_outage");
        var redis = Bed.Own(await RedisServer.StartWithAofAsync());
        var cloud = await Bed.StartCloudAsync(RedisJournal(redis), name: "cloud");
        string Diagnostics() => Bed.Diagnostics() + "\n== redis-server log ==\n" + redis.ReadLogTail();

        await using var stream = SubmissionStream.Start(() => cloud, "outage", clients: 3);
        await stream.WaitForAsync(0, a => a.Status == 202, 10, "answered 202 before the outage", Diagnostics, cloud.AbortIfExited);

        var recoveries = new List<TimeSpan>();
        var downtimes = new List<TimeSpan>();
        var refusedWhileDown = 0;
        for (var outage = 1; outage <= outages; outage++)
        {
            await redis.KillAsync();
            var down = Stopwatch.StartNew();
            // Requests sent from now on meet a dead server (earlier ones may still have been written and answered 202).
            var downMark = stream.Mark;
            await stream.WaitForAsync(downMark, a => a.Status == 503, refusalsPerOutage, "answered 503 while Redis is down",
                Diagnostics, cloud.AbortIfExited);
            // Answers to requests sent after the kill and answered before the restart saw only the dead server.
            var restartAt = DateTimeOffset.UtcNow;
            var whileDown = stream.Since(downMark).Where(a => a.AnsweredAt < restartAt).ToList();

            await redis.RestartAsync();
            downtimes.Add(down.Elapsed);
            var up = Stopwatch.StartNew();
            var upMark = stream.Mark;
            await stream.WaitForAsync(upMark, a => a.Status == 202, 5, "answered 202 after Redis came back", Diagnostics,
                cloud.AbortIfExited, TimeSpan.FromSeconds(120));
            recoveries.Add(up.Elapsed);

            Assert.True(whileDown.All(a => a.Status == 503 && a.RetryAfter),
                $"outage {outage}: while Redis was down ingest answered " +
                string.Join("; ", whileDown.Where(a => !(a.Status == 503 && a.RetryAfter)).Take(5)
                    .Select(a => $"{a.Status?.ToString() ?? "no answer"} (Retry-After: {a.RetryAfter}) {a.Error}")));
            refusedWhileDown += whileDown.Count;
            Output.WriteLine($"outage {outage}: down {downtimes[^1].TotalSeconds:0.0} s with {whileDown.Count} answers, all 503 + Retry-After; " +
                             $"202 again {up.Elapsed.TotalSeconds:0.0} s after the restart");
        }
        await stream.StopAsync();

        // The same process throughout: no restart of Pharos was needed.
        Assert.False(cloud.Node.HasExited, cloud.Node.Describe());
        var answers = stream.Answers;
        // Never a failed request: the node answered every one, 202 or 503.
        stream.AssertOnly(202, 503);
        var accepted = stream.AcceptedIds;
        await ChaosChecks.AssertAllPresentAsync(cloud, accepted, "after the Redis outages", () => stream.Summary() + "\n" + Diagnostics());

        figures.Add("outages", $"{outages}");
        figures.Add("answers_503_while_down", $"{refusedWhileDown}");
        figures.Add("answers_503_total", $"{answers.Count(a => a.Status == 503)}");
        figures.Add("tasks_accepted", $"{accepted.Count}");
        figures.Add("tasks_checked", $"{accepted.Count}");
        figures.Add("downtime_seconds_max", $"{downtimes.Max(d => d.TotalSeconds):0.0}");
        figures.Add("restart_to_first_202_seconds_max", $"{recoveries.Max(d => d.TotalSeconds):0.0}");
    }
}
