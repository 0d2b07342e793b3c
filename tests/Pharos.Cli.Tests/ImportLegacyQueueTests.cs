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
        RedisValue[] items =
        [
            Legacy(fresh, DateTimeOffset.UtcNow.AddMinutes(-5), 3600),
            bare,
            Legacy(stale, DateTimeOffset.UtcNow.AddHours(-3), 3600),
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
    public async Task Imports_fresh_items_skips_stale_ones_reports_refusals_and_leaves_the_list_alone()
    {
        var key = "ingest_queue_" + Guid.NewGuid().ToString("N");
        var (fresh, bare, stale, refused, duplicate, items) = await FillAsync(key);

        var (exit, output, error) = await Import(key);

        Assert.True(exit == 0, error);
        Assert.Matches($@"imported  {fresh}  task \S+ \(position \d+\)", output);
        Assert.Matches($@"imported  {bare}  task \S+", output);
        Assert.Matches($@"skipped   {stale}  stale: submitted \S+ \S+, ttl 3600 s", output);
        Assert.Matches($@"rejected  {refused}  400: refused: ", output);
        Assert.Matches($@"rejected  {duplicate}  409: already queued as task \S+", output);
        Assert.Contains("rejected  {not json  not valid JSON", output);
        Assert.Contains($"Imported 2, skipped 1 (stale), rejected 3. Left '{key}' as it was (--drain removes the handled items).", output);

        Assert.Equal(items.Select(i => i.ToString()), (await _connection.GetDatabase().ListRangeAsync(key)).Select(i => i.ToString()));
        var jobs = (await node.Run("jobs", "--limit", "100", "--json")).Out;
        Assert.Contains(fresh, jobs);
        Assert.Contains(bare, jobs);
        Assert.DoesNotContain(stale, jobs);
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
