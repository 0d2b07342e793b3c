using System.Net.Http.Json;
using System.Text;
using Microsoft.Data.Sqlite;
using static Pharos.CloudNode.Tests.Problems;

namespace Pharos.CloudNode.Tests;

/// <summary>`POST /admin/import` over real Kestrel and a real journal: the original Pharos's tasks keep their timing.</summary>
public sealed class ImportApiTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;

    private static string UniqueRepo() => $"https://github.com/pharos-import/r{Guid.NewGuid():N}";

    private Task<HttpResponseMessage> ImportAsync(object body, string? token = CloudNodeHost.AdminToken) =>
        Host.Client.SendAsync(Host.Request(HttpMethod.Post, "/admin/import", token, body));

    private static async Task<JsonElement> AnswerAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    [Fact]
    public async Task A_fresh_import_answers_202_with_the_job_keeping_its_submission_time_and_ttl()
    {
        var repo = UniqueRepo();
        // Written in another zone: the same instant.
        var submitted = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(2));
        var response = await ImportAsync(new { repo_url = repo, priority = "high", submitted_at = submitted.ToString("O"), ttl = 3600 });

        var answer = await AnswerAsync(response, HttpStatusCode.Accepted);
        var job = answer.GetProperty("job");
        var id = job.GetProperty("task_id").GetString()!;
        Assert.Equal($"/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("queued", job.GetProperty("status").GetString());
        Assert.Equal("high", job.GetProperty("priority").GetString());
        Assert.Equal(submitted, job.GetProperty("submitted_at").GetDateTimeOffset());
        Assert.Equal(submitted.AddSeconds(3600), job.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(3600, job.GetProperty("ttl").GetInt32());
        Assert.True(answer.GetProperty("position").GetInt32() >= 1);
        Assert.Equal(1000, answer.GetProperty("max_queue_size").GetInt32());

        var stored = await Host.JsonAsync($"/jobs/{id}");
        Assert.Equal(submitted, stored.GetProperty("submitted_at").GetDateTimeOffset());
        Assert.Equal(submitted.AddSeconds(3600), stored.GetProperty("expires_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_stale_import_answers_200_and_is_in_both_histories_as_skipped_with_its_age()
    {
        var repo = UniqueRepo();
        var submitted = DateTimeOffset.UtcNow.AddHours(-3);
        var answer = await AnswerAsync(await ImportAsync(new { repo_url = repo, submitted_at = submitted, ttl = 3600 }), HttpStatusCode.OK);
        var job = answer.GetProperty("job");
        var id = job.GetProperty("task_id").GetString()!;
        Assert.Equal(("skipped", "ttl_expired", 0), (job.GetProperty("status").GetString(), job.GetProperty("reason").GetString(),
            answer.GetProperty("position").GetInt32()));
        Assert.InRange(job.GetProperty("age_seconds").GetDouble(), 10_800, 10_860);
        Assert.Equal(["queued", "skipped"], job.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("status").GetString()));

        var listed = (await Host.JsonAsync("/jobs?limit=100&status=skipped")).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("task_id").GetString() == id);
        Assert.Equal(submitted, listed.GetProperty("submitted_at").GetDateTimeOffset());
        var original = (await Host.JsonAsync("/api/v1/ingestion/jobs/history?limit=100")).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("task_id").GetString() == id);
        Assert.Equal((repo, "skipped", "ttl_expired"), (original.GetProperty("repo_url").GetString(),
            original.GetProperty("status").GetString(), original.GetProperty("reason").GetString()));
        Assert.InRange(original.GetProperty("age_seconds").GetDouble(), 10_800, 10_860);

        var metrics = await Host.Client.GetStringAsync("/metrics");
        Assert.Matches(@"pharos_imported_total\{outcome=""skipped""\} [1-9]", metrics);
    }

    [Fact]
    public async Task A_bare_url_import_never_expires_and_says_so()
    {
        var answer = await AnswerAsync(await ImportAsync(new { repo_url = UniqueRepo(), submitted_at = (string?)null }), HttpStatusCode.Accepted);
        var job = answer.GetProperty("job");
        Assert.Equal(JsonValueKind.Null, job.GetProperty("expires_at").ValueKind);
        Assert.Equal(0, job.GetProperty("ttl").GetInt32());
        Assert.Equal("priority normal, never stale", job.GetProperty("timeline")[0].GetProperty("detail").GetString());
        var stored = await Host.JsonAsync($"/jobs/{job.GetProperty("task_id").GetString()}");
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("expires_at").ValueKind);
    }

    [Fact]
    public async Task Only_the_admin_scope_may_import()
    {
        var before = await Host.JobCountAsync();
        var body = new { repo_url = UniqueRepo() };
        var problem = await ProblemAsync(await ImportAsync(body, TokensFile.IngestToken), HttpStatusCode.Forbidden);
        Assert.Equal("The token 'ci' lacks the 'admin' scope.", problem.GetProperty("detail").GetString());
        await ProblemAsync(await ImportAsync(body, TokensFile.ReadOnlyToken), HttpStatusCode.Forbidden);
        await ProblemAsync(await ImportAsync(body, token: null), HttpStatusCode.Unauthorized);
        Assert.Equal(before, await Host.JobCountAsync());
    }

    [Theory]
    [InlineData("{\"priority\":\"high\"}", "repo_url is required")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"2026-11-29T08:00:00\"}", "with its offset")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"yesterday\"}", "with its offset")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":1764403200}", "submitted_at must be a string or null")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"2026-11-29T08:00:00Z\",\"ttl\":-1}", "ttl must be whole seconds")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"2026-11-29T08:00:00Z\",\"ttl\":60.5}", "ttl must be whole seconds")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"2026-11-29T08:00:00Z\",\"ttl\":\"60\"}", "ttl must be a number or null")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ttl\":60}", "ttl needs a submitted_at")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ttl\":60,\"ttl\":60}", "more than once")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"submitted_at\":\"2999-01-01T00:00:00Z\"}", "later than the queue's clock")]
    [InlineData("{\"repo_url\":\"https://example.org/a/b\",\"submitted_at\":\"2020-01-01T00:00:00Z\",\"ttl\":60}", "")]
    public async Task Bad_bodies_urls_and_times_answer_400_saying_why_and_record_nothing(string body, string why)
    {
        var before = await Host.JobCountAsync();
        var request = Host.Request(HttpMethod.Post, "/admin/import");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await Host.Client.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Contains(why, problem.GetProperty("detail").GetString());
        Assert.Equal(before, await Host.JobCountAsync());
    }

    [Fact]
    public async Task A_repository_already_queued_refuses_a_fresh_import_and_keeps_its_task_when_a_stale_one_is_recorded()
    {
        var repo = UniqueRepo();
        var queued = (await AnswerAsync(await Host.IngestAsync(repo), HttpStatusCode.Accepted)).GetProperty("task_id").GetString();

        var fresh = await ProblemAsync(await ImportAsync(new { repo_url = repo, submitted_at = DateTimeOffset.UtcNow, ttl = 60 }),
            HttpStatusCode.Conflict);
        Assert.Equal(queued, fresh.GetProperty("task_id").GetString());
        var stale = await AnswerAsync(await ImportAsync(new { repo_url = repo, submitted_at = DateTimeOffset.UtcNow.AddDays(-2), ttl = 60 }),
            HttpStatusCode.OK);
        Assert.Equal("skipped", stale.GetProperty("job").GetProperty("status").GetString());

        // The queued task is still the repository's: a resubmission names it.
        var again = await ProblemAsync(await Host.IngestAsync(repo), HttpStatusCode.Conflict);
        Assert.Equal(queued, again.GetProperty("task_id").GetString());
        Assert.Equal("queued", (await Host.JsonAsync($"/jobs/{queued}")).GetProperty("status").GetString());
    }
}

/// <summary>Imported tasks over a restart of the node, on its real SQLite journal.</summary>
public sealed class ImportRecoveryTests
{
    /// <summary>
    /// A never-stale task and an import skipped on arrival come back the same, from the events alone or from a snapshot
    /// taken at the last event; the never-stale one then outlives the queue's one-second TTL and sweeps.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_never_stale_task_and_a_stale_import_survive_a_restart(bool fromSnapshot)
    {
        var dataDir = CloudNodeHost.NewDataDir();
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["PHAROS_SNAPSHOT_EVERY"] = fromSnapshot ? "1" : "1000000",
                ["TASK_TTL_SECONDS"] = "1",
                ["PHAROS_SWEEP_INTERVAL_SECONDS"] = "1",
            };
            JsonElement before;
            string legacyId;
            await using (var first = await CloudNodeHost.StartAsync(settings, dataDir))
            {
                var legacy = await first.Client.SendAsync(first.Request(HttpMethod.Post, "/admin/import", json: new { repo_url = "https://github.com/recover/legacy" }));
                Assert.Equal(HttpStatusCode.Accepted, legacy.StatusCode);
                legacyId = (await legacy.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job").GetProperty("task_id").GetString()!;
                var stale = await first.Client.SendAsync(first.Request(HttpMethod.Post, "/admin/import",
                    json: new { repo_url = "https://github.com/recover/stale", submitted_at = DateTimeOffset.UtcNow.AddHours(-1), ttl = 60 }));
                Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
                before = await first.JsonAsync("/jobs?limit=100");
            }

            await using (var journal = new SqliteConnection($"Data Source={Path.Combine(dataDir, "pharos.db")};Pooling=false"))
            await using (var snapshots = new SqliteConnection($"Data Source={Path.Combine(dataDir, "pharos-snapshots.db")};Pooling=false"))
            {
                await journal.OpenAsync();
                await snapshots.OpenAsync();
                var journaled = await ScalarAsync(journal, "SELECT MAX(sequence_number) FROM journal WHERE persistence_id = 'pharos-queue'");
                var snapshotAt = await ScalarAsync(snapshots,
                    "SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = 'pharos-queue'");
                // Three events: the legacy task, then the stale one's arrival and skip in one write.
                Assert.Equal(3L, journaled);
                Assert.Equal(fromSnapshot ? 3L : null, snapshotAt);
            }

            await using var second = await CloudNodeHost.StartAsync(settings, dataDir);
            Assert.Equal(before.ToString(), (await second.JsonAsync("/jobs?limit=100")).ToString());
            // Several sweeps later, past the TTL every other task gets here, the legacy task still waits for a worker.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var job = await second.JsonAsync($"/jobs/{legacyId}");
            Assert.Equal("queued", job.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, job.GetProperty("expires_at").ValueKind);
        }
        finally
        {
            CloudNodeHost.TryDelete(dataDir);
        }
    }

    private static async Task<long?> ScalarAsync(SqliteConnection store, string sql)
    {
        await using var command = store.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync() is long value ? value : null;
    }
}
