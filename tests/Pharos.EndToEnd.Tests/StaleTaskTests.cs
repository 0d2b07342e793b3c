using System.Diagnostics;
using System.Text.RegularExpressions;
using Pharos.Testing.Redis;

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

    /// <summary>
    /// The original queue's bare URL has no age: imported by `pharos import-legacy-queue` into a queue whose TTL is 2 s,
    /// it outlives that TTL and the sweeps (an item with a 5 s TTL beside it does not), and the edge that
    /// starts afterwards clones and runs it rather than skipping it.
    /// </summary>
    [Fact]
    public async Task A_bare_url_imported_from_the_original_queue_is_never_stale_and_an_edge_runs_it_long_after_the_ttl()
    {
        Sources.CreateRealRepository("nx-legacy");
        var cloud = await Bed.StartCloudAsync(new Dictionary<string, string?>
        {
            ["TASK_TTL_SECONDS"] = "2",
            ["PHAROS_SWEEP_INTERVAL_SECONDS"] = "1",
        });
        var redis = Bed.Own(await RedisServer.StartAsync());
        var bare = Sources.Http!.UrlFor("nx-legacy");
        // Never cloned: it expires before any edge is there.
        var timed = Sources.Http.UrlFor("nx-expiring");
        await RedisCliAsync(redis, "RPUSH", "ingest_queue", bare,
            JsonSerializer.Serialize(new { repo_url = timed, submitted_at = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff"), ttl = 5 }));

        var imported = await PharosCli.RunAsync(Output, "import-legacy-queue", "--redis", redis.ConnectionString,
            "--url", cloud.Client.BaseAddress!.ToString(), "--token", CloudProcess.AdminToken);
        var legacyId = Regex.Match(imported, $@"imported  {Regex.Escape(bare)}  task (\S+) \(position 1\), never stale").Groups[1].Value;
        // Imported and then swept, or (when the command took longer than its TTL to start on a loaded machine) skipped on
        // arrival: either way it ends skipped, and the bare URL does not.
        var timedId = Regex.Match(imported, $@"(imported|skipped)   ?{Regex.Escape(timed)}  .*task (?<id>[0-9a-f]+)").Groups["id"].Value;
        Assert.True(legacyId.Length > 0 && timedId.Length > 0, imported);

        // The queue skips the task with its 5 s TTL; the legacy task, imported before it, is still queued.
        var expired = await cloud.WaitForFinalAsync(timedId);
        Assert.Equal(("skipped", "ttl_expired"), (expired.Status(), expired.Str("reason")));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var waiting = await cloud.GetJobAsync(legacyId);
        Assert.Equal("queued", waiting.Status());
        Assert.Null(waiting.Str("expires_at"));
        // Older than the queue's TTL, which any ingested task would have had.
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(waiting.Str("submitted_at")!) > TimeSpan.FromSeconds(2));

        var edge = Bed.StartEdge(cloud, Scenarios.QuickTraining);
        var job = await cloud.WaitForFinalAsync(legacyId, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);

        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.True(Sources.Http.Requests > 0, "the legacy task was never cloned");
        Assert.DoesNotContain("skipped", job.TimelineStatuses());
    }

    private static async Task RedisCliAsync(RedisServer redis, params string[] arguments)
    {
        var psi = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-h", "127.0.0.1", "-p", redis.Port.ToString(), .. arguments]) psi.ArgumentList.Add(argument);
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
    }
}
