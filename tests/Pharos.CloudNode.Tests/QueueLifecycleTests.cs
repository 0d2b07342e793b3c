using System.Net.Http.Json;
using Microsoft.Data.Sqlite;

namespace Pharos.CloudNode.Tests;

/// <summary>Cap, TTL, recovery and store failure, each on a node of its own.</summary>
public sealed class QueueLifecycleTests
{
    private static Dictionary<string, string?> With(params (string Key, string Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => (string?)s.Value);

    [Fact]
    public async Task Expired_tasks_are_skipped_and_stop_counting_towards_the_cap()
    {
        await using var host = await CloudNodeHost.StartAsync(With(("MAX_QUEUE_SIZE", "1"), ("TASK_TTL_SECONDS", "1"),
            ("PHAROS_SWEEP_INTERVAL_SECONDS", "1")));
        var stale = await (await host.IngestAsync("https://github.com/ttl/stale")).Content.ReadFromJsonAsync<JsonElement>();
        var id = stale.GetProperty("task_id").GetString();

        var job = await IngestApiTests.WaitForAsync(() => host.JsonAsync($"/jobs/{id}"),
            j => j.GetProperty("status").GetString() == "skipped");
        Assert.Equal("skipped", job.GetProperty("status").GetString());
        Assert.Equal("ttl_expired", job.GetProperty("reason").GetString());
        Assert.True(job.GetProperty("age_seconds").GetDouble() > 1);
        Assert.Equal(1, job.GetProperty("ttl").GetInt32());

        Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync("https://github.com/ttl/fresh")).StatusCode);
    }

    [Fact]
    public async Task A_restart_over_the_same_journal_keeps_pending_tasks_history_and_positions()
    {
        var dataDir = CloudNodeHost.NewDataDir();
        try
        {
            var settings = With(("PHAROS_SNAPSHOT_EVERY", "3"));
            JsonElement before;
            await using (var first = await CloudNodeHost.StartAsync(settings, dataDir))
            {
                foreach (var (repo, priority) in new[] { ("a", "low"), ("b", "high"), ("c", "normal"), ("d", "high"), ("e", "low") })
                    Assert.Equal(HttpStatusCode.Accepted, (await first.IngestAsync($"https://github.com/restart/{repo}", priority)).StatusCode);
                var cancelled = (await first.JsonAsync("/jobs?limit=100")).GetProperty("jobs")[0].GetProperty("task_id").GetString();
                Assert.Equal(HttpStatusCode.OK, (await first.Client.SendAsync(first.Request(HttpMethod.Delete, $"/jobs/{cancelled}"))).StatusCode);
                before = await first.JsonAsync("/jobs?limit=100");
            }

            await using var second = await CloudNodeHost.StartAsync(settings, dataDir);
            var after = await second.JsonAsync("/jobs?limit=100");
            Assert.Equal(before.ToString(), after.ToString());

            // Positions continue from the recovered order: high b, d; normal c; low a; then this new low one.
            var next = await (await second.IngestAsync("https://github.com/restart/f", "low")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(5, next.GetProperty("position").GetInt32());
            Assert.Equal(409, (int)(await second.IngestAsync("https://github.com/restart/b")).StatusCode);
        }
        finally
        {
            CloudNodeHost.TryDelete(dataDir);
        }
    }

    [Fact]
    public async Task A_locked_store_answers_503_with_retry_after_and_accepts_nothing()
    {
        await using var host = await CloudNodeHost.StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync("https://github.com/store/before")).StatusCode);

        // Another process holding SQLite's write lock is what a stuck or failing disk looks like to the journal.
        await using (var blocker = new SqliteConnection($"Data Source={Path.Combine(host.DataDir, "pharos.db")}"))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var write = blocker.CreateCommand())
            {
                write.CommandText = "CREATE TABLE IF NOT EXISTS lock_holder (x); INSERT INTO lock_holder VALUES (1);";
                await write.ExecuteNonQueryAsync();
            }

            var response = await host.IngestAsync("https://github.com/store/during");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            await transaction.RollbackAsync();
        }

        // The queue comes back by itself; what it refused is not there, and the same request now goes through.
        var jobs = await IngestApiTests.WaitForAsync(async () => (int)(await host.Client.GetAsync("/jobs?limit=100")).StatusCode, s => s == 200);
        Assert.Equal(200, jobs);
        var repos = (await host.JsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray()
            .Select(j => j.GetProperty("repo_url").GetString()).ToList();
        Assert.Equal(["https://github.com/store/before"], repos);
        var retried = await IngestApiTests.WaitForAsync(() => host.IngestAsync("https://github.com/store/during"),
            r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
    }

    /// <summary>
    /// Golden/akka-persistence-sql-data-dir: a data directory written by the cloud node of the release before this one
    /// (Akka.Persistence.Sql): six events (four tasks, a cancel, a fifth task) and a snapshot at the fifth event.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_data_directory_written_by_akka_persistence_sql_is_read_as_it_is(bool withSnapshot)
    {
        var golden = Path.Combine(AppContext.BaseDirectory, "Golden", "akka-persistence-sql-data-dir");
        var expected = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(golden, "jobs.json"))).RootElement
            .EnumerateArray().Select(Summary).ToList();
        var dataDir = CloudNodeHost.NewDataDir();
        try
        {
            File.Copy(Path.Combine(golden, "pharos.db"), Path.Combine(dataDir, "pharos.db"));
            // Without the snapshot file, recovery replays all six events; with it, the snapshot and the sixth.
            if (withSnapshot) File.Copy(Path.Combine(golden, "pharos-snapshots.db"), Path.Combine(dataDir, "pharos-snapshots.db"));
            var settings = With(("PHAROS_ALLOW_LOCAL_REPOS", "true"));
            await using (var host = await CloudNodeHost.StartAsync(settings, dataDir))
            {
                var jobs = (await host.JsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray().Select(Summary).ToList();
                Assert.Equal(expected, jobs);
                Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync("/srv/git/zeta")).StatusCode);
                Assert.Equal(409, (int)(await host.IngestAsync("/srv/git/alpha")).StatusCode);
            }

            // What this release added to the old files is read back with the rest.
            await using var again = await CloudNodeHost.StartAsync(settings, dataDir);
            var after = (await again.JsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray().Select(Summary).ToList();
            Assert.Equal(["/srv/git/zeta", .. expected.Select(j => j.RepoUrl)], after.Select(j => j.RepoUrl));
        }
        finally
        {
            CloudNodeHost.TryDelete(dataDir);
        }
    }

    private static (string? TaskId, string? RepoUrl, string? Status, string? Priority) Summary(JsonElement job) =>
        (job.GetProperty("task_id").GetString(), job.GetProperty("repo_url").GetString(), job.GetProperty("status").GetString(),
            job.GetProperty("priority").GetString());
}
