using Pharos.Testing.Redis;
using StackExchange.Redis;

namespace Pharos.Cli.Tests;

/// <summary>`import-legacy-queue` from a real redis-server into a real cloud node.</summary>
public sealed class ImportLegacyQueueTests(QueueNode node) : IClassFixture<QueueNode>, IAsyncLifetime
{
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private DateTimeOffset _freshSubmitted, _staleSubmitted;

    private static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);

    /// <summary>The first group of <paramref name="pattern"/>, matched against one line of <paramref name="output"/>.</summary>
    private static string Captured(string pattern, string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output.ReplaceLineEndings("\n"), pattern,
            System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(match.Success, $"no line matches {pattern} in:\n{output}");
        return match.Groups[1].Value;
    }

    private static string Legacy(string url, DateTimeOffset submitted, int ttl) =>
        JsonSerializer.Serialize(new { repo_url = url, submitted_at = submitted.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff"), ttl });

    /// <summary>The original queue's kinds of item, and what the import must make of each.</summary>
    private async Task<(string Fresh, string Bare, string Stale, string Refused, string Duplicate, RedisValue[] Items)> FillAsync(string key)
    {
        var fresh = QueueNode.NewRepoUrl("legacy-fresh");
        var bare = QueueNode.NewRepoUrl("legacy-bare");
        var stale = QueueNode.NewRepoUrl("legacy-stale");
        var refused = "https://example.invalid/legacy/refused";
        var duplicate = QueueNode.NewRepoUrl("legacy-dup");
        Assert.Equal(0, (await node.Run("submit", duplicate)).Exit);
        // Python's isoformat() keeps microseconds: so does the import.
        _freshSubmitted = Microseconds(DateTimeOffset.UtcNow.AddMinutes(-5));
        _staleSubmitted = Microseconds(DateTimeOffset.UtcNow.AddHours(-3));
        RedisValue[] items =
        [
            Legacy(fresh, _freshSubmitted, 3600),
            bare,
            Legacy(stale, _staleSubmitted, 3600),
            JsonSerializer.Serialize(new { repo_url = refused, submitted_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ttl = 3600 }),
            JsonSerializer.Serialize(new { repo_url = duplicate }),
            "{not json",
        ];
        await _connection.GetDatabase().ListRightPushAsync(key, items);
        return (fresh, bare, stale, refused, duplicate, items);
    }

    private Task<(int Exit, string Out, string Err)> Import(string key, params string[] more) =>
        node.Run(["import-legacy-queue", "--redis", _redis.ConnectionString, "--key", key, .. more]);

    [Fact]
    public async Task Imports_fresh_items_with_their_timing_records_stale_ones_as_skipped_reports_refusals_and_leaves_the_list_alone()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        var (fresh, bare, stale, refused, duplicate, items) = await FillAsync(key);

        var (exit, output, error) = await Import(key);

        Assert.True(exit == 0, error);
        var freshId = Captured($@"imported  {fresh}  task (\S+) \(position \d+\)$", output);
        var bareId = Captured($@"imported  {bare}  task (\S+) \(position \d+\), never stale$", output);
        var staleId = Captured($@"skipped   {stale}  stale: submitted \S+ \S+, ttl 3600 s \(recorded as task (\S+)\)$", output);
        Assert.Matches($@"rejected  {refused}  400: refused: ", output);
        Assert.Matches($@"rejected  {duplicate}  409: already queued as task \S+", output);
        Assert.Contains("rejected  {not json  not valid JSON", output);
        Assert.Contains($"Imported 2, skipped 1 (stale), rejected 3. Left '{key}' as it was (--drain removes the handled items).", output);
        Assert.Equal(items.Select(i => i.ToString()), (await _connection.GetDatabase().ListRangeAsync(key)).Select(i => i.ToString()));

        // The fresh task keeps the original's submission time and expires when the original's would have.
        var freshJob = await node.Host.JsonAsync($"/jobs/{freshId}");
        Assert.Equal("queued", freshJob.GetProperty("status").GetString());
        Assert.Equal(_freshSubmitted, freshJob.GetProperty("submitted_at").GetDateTimeOffset());
        Assert.Equal(_freshSubmitted.AddSeconds(3600), freshJob.GetProperty("expires_at").GetDateTimeOffset());
        Assert.Equal(3600, freshJob.GetProperty("ttl").GetInt32());

        // The stale one is in the job list and in the original's history as its worker would have recorded it.
        var staleJob = (await node.Host.JsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("task_id").GetString() == staleId);
        Assert.Equal((stale, "skipped", "ttl_expired"), (staleJob.GetProperty("repo_url").GetString(),
            staleJob.GetProperty("status").GetString(), staleJob.GetProperty("reason").GetString()));
        Assert.Equal(_staleSubmitted, staleJob.GetProperty("submitted_at").GetDateTimeOffset());
        Assert.InRange(staleJob.GetProperty("age_seconds").GetDouble(), 10_800, 10_900);
        var history = (await node.Host.JsonAsync("/api/v1/ingestion/jobs/history?limit=100")).GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("task_id").GetString() == staleId);
        Assert.Equal(("skipped", "ttl_expired"), (history.GetProperty("status").GetString(), history.GetProperty("reason").GetString()));
        Assert.InRange(history.GetProperty("age_seconds").GetDouble(), 10_800, 10_900);

        // The bare URL is never stale, and the CLI shows such a job.
        var bareJob = await node.Host.JsonAsync($"/jobs/{bareId}");
        Assert.Equal((JsonValueKind.Null, 0), (bareJob.GetProperty("expires_at").ValueKind, bareJob.GetProperty("ttl").GetInt32()));
        var shown = await node.Run("job", bareId);
        Assert.True(shown.Exit == 0, shown.Err);
        Assert.Contains("expires       never (imported without a submission time)", shown.Out);
        var listed = await node.Run("jobs", "--limit", "100");
        Assert.True(listed.Exit == 0, listed.Err);
        Assert.Contains(bareId, listed.Out);
    }

    [Theory]
    [InlineData("{\"repo_url\":\"https://github.com/o/r\",\"submitted_at\":\"soon\",\"ttl\":60}", "submitted_at \"soon\" is not a time")]
    [InlineData("{\"repo_url\":\"https://github.com/o/r\",\"submitted_at\":1764403200,\"ttl\":\"a day\"}", "ttl \"a day\" is not a number")]
    public void An_item_whose_time_or_ttl_cannot_be_read_is_a_problem_not_a_task_without_them(string raw, string problem) =>
        Assert.Equal(problem, Commands.ImportLegacyQueueCommand.Parse(raw).Problem);

    [Fact]
    public async Task An_item_with_the_branch_its_worker_would_have_cloned_is_imported_at_that_ref()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        var url = QueueNode.NewRepoUrl("legacy-branch");
        await _connection.GetDatabase().ListRightPushAsync(key,
            JsonSerializer.Serialize(new { repo_url = url, submitted_at = DateTimeOffset.UtcNow.ToString("O"), ttl = 3600, branch = "release/1.x" }));

        var (exit, output, error) = await Import(key);

        Assert.True(exit == 0, error);
        var id = System.Text.RegularExpressions.Regex.Match(output, $@"imported  {url}  task (\S+) ").Groups[1].Value;
        var job = JsonDocument.Parse((await node.Run("job", id, "--json")).Out).RootElement;
        Assert.Equal("release/1.x", job.GetProperty("ref").GetString());
    }

    [Fact]
    public async Task A_token_without_the_admin_scope_stops_the_run_before_anything_is_imported()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        await _connection.GetDatabase().ListRightPushAsync(key, QueueNode.NewRepoUrl("needs-admin"));

        var (exit, output, error) = await CliRunner.RunAsync("import-legacy-queue", "--redis", _redis.ConnectionString, "--key", key,
            "--drain", "--url", node.Url, "--token", TokensFile.IngestToken);

        Assert.Equal(1, exit);
        Assert.Contains("Imported 0, skipped 0 (stale), rejected 0. Removed 0 handled items", output);
        Assert.Equal("pharos: the token is not allowed to do this: The token 'ci' lacks the 'admin' scope.", error.Trim());
        Assert.Equal(1, await _connection.GetDatabase().ListLengthAsync(key));
    }

    [Fact]
    public async Task Drain_removes_exactly_the_items_handled()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        await FillAsync(key);
        var db = _connection.GetDatabase();

        var (exit, output, error) = await Import(key, "--drain");
        Assert.True(exit == 0, error);
        await db.ListRightPushAsync(key, "pushed-later"); // the list is still a list, with only what came after
        Assert.Contains($"Imported 2, skipped 1 (stale), rejected 3. Removed 6 handled items from '{key}'.", output);
        Assert.Equal(["pushed-later"], (await db.ListRangeAsync(key)).Select(i => i.ToString()));
    }

    [Fact]
    public async Task A_refusal_that_stops_the_run_keeps_the_unhandled_items_and_says_what_was_done()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        var db = _connection.GetDatabase();
        await db.ListRightPushAsync(key, [QueueNode.NewRepoUrl("stop-a"), QueueNode.NewRepoUrl("stop-b")]);

        var (exit, output, error) = await CliRunner.RunAsync("import-legacy-queue", "--redis", _redis.ConnectionString, "--key", key,
            "--drain", "--url", node.Url, "--token", "wrong-token-0123456789abcdef");

        Assert.Equal(1, exit);
        Assert.Contains("Imported 0, skipped 0 (stale), rejected 0. Removed 0 handled items", output);
        Assert.StartsWith("pharos: the token was refused: ", error);
        Assert.Equal(2, await db.ListLengthAsync(key));
    }

    [Fact]
    public async Task An_unreachable_redis_or_a_key_of_another_type_is_one_line()
    {
        var port = GitCli.FreeTcpPort();
        var (exit, _, error) = await node.Run("import-legacy-queue", "--redis", $"127.0.0.1:{port}");
        Assert.Equal(1, exit);
        Assert.StartsWith($"pharos: cannot reach Redis at 127.0.0.1:{port}: ", error);
        Assert.Single(error.Trim().Split('\n'));

        var key = "a_string_" + Guid.NewGuid().ToString("N");
        await _connection.GetDatabase().StringSetAsync(key, "x");
        (exit, _, error) = await Import(key);
        Assert.Equal(1, exit);
        Assert.Equal($"pharos: the key '{key}' holds a string, not a list: is it the queue of the original Pharos?", error.Trim());
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6400/3", "127.0.0.1:6400", null, 3, false)]
    [InlineData("rediss://user:p%40ss@cache.example:6380", "cache.example:6380", "p@ss", null, true)]
    [InlineData("127.0.0.1:6401,password=secret", "127.0.0.1:6401", "secret", null, false)]
    public void Redis_urls_and_configuration_strings_are_both_read(string connection, string endpoint, string? password, int? db, bool ssl)
    {
        var options = Commands.ImportLegacyQueueCommand.RedisOptions(connection);
        Assert.Equal(endpoint, Assert.Single(options.EndPoints).ToString()!.Replace("Unspecified/", ""));
        Assert.Equal(password, options.Password);
        Assert.Equal(db, options.DefaultDatabase);
        Assert.Equal(ssl, options.Ssl);
    }
}
