using Pharos.CloudNode.Health;
using Pharos.Testing.Redis;

namespace Pharos.CloudNode.Tests;

/// <summary>The cloud node with PHAROS_REDIS: its queue in a real redis-server (AOF, fsync always).</summary>
public sealed class RedisJournalTests : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartWithAofAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    private Task<CloudNodeHost> StartNodeAsync() => CloudNodeHost.StartAsync(new Dictionary<string, string?>
    {
        ["PHAROS_REDIS"] = _redis.ConnectionString,
        ["PHAROS_REDIS_KEY_PREFIX"] = "pharos:",
    });

    private static async Task<List<(string Id, string Status)>> JobsAsync(CloudNodeHost node) =>
        (await node.JsonAsync("/jobs?limit=100")).GetProperty("jobs").EnumerateArray()
        .Select(j => (j.GetProperty("task_id").GetString()!, j.GetProperty("status").GetString()!)).ToList();

    [Fact]
    public async Task Accepted_tasks_live_in_redis_under_the_prefix_and_a_new_node_recovers_them()
    {
        List<(string, string)> before;
        await using (var node = await StartNodeAsync())
        {
            foreach (var repo in new[] { "a", "b", "c" })
                Assert.Equal(HttpStatusCode.Accepted, (await node.IngestAsync($"https://github.com/pharos/{repo}")).StatusCode);
            before = await JobsAsync(node);
            var ready = await node.JsonAsync("/ready");
            Assert.Equal("healthy", ready.GetProperty("checks").GetProperty("redis-persistence").GetProperty("status").GetString());
        }

        Assert.Equal(":3", await _redis.CommandAsync("ZCARD", "pharos:journal:persisted:pharos-queue"));
        Assert.Equal(":3", await _redis.CommandAsync("EVAL", "return tonumber(redis.call('GET', KEYS[1]))", "1",
            "pharos:journal:persisted:pharos-queue:highestSequenceNr"));

        // Another node, another data directory: everything it knows comes from Redis.
        await using var next = await StartNodeAsync();
        Assert.Equal(before, await JobsAsync(next));
        Assert.Equal(HttpStatusCode.Conflict, (await next.IngestAsync("https://github.com/pharos/a")).StatusCode);
    }

    [Fact]
    public async Task While_redis_is_down_submissions_get_503_at_once_and_after_an_aof_restart_nothing_acknowledged_is_lost()
    {
        await using var node = await StartNodeAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await node.IngestAsync("https://github.com/pharos/kept")).StatusCode);
        var before = await JobsAsync(node);

        await _redis.KillAsync();
        var refused = await node.IngestAsync("https://github.com/pharos/refused");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var notReady = await node.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);

        await _redis.RestartAsync();
        // The queue recovers by itself once Redis answers again.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await node.Client.GetAsync("/ready")).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, "the node did not become ready after Redis came back");
            await Task.Delay(200);
        }
        Assert.Equal(before, await JobsAsync(node));
        Assert.Equal(HttpStatusCode.Accepted, (await node.IngestAsync("https://github.com/pharos/refused")).StatusCode);
        var after = await JobsAsync(node);
        Assert.Equal(2, after.Count);
        Assert.Contains(before[0], after);
    }

    [Fact]
    public async Task While_the_queue_is_in_back_off_ready_is_503_with_its_body_even_though_redis_answers_PING()
    {
        await using var node = await StartNodeAsync();
        // Redis answers PING but refuses the journal's reads and writes: the queue stops at its next write and its
        // back-off supervisor answers for it (Status.Failure) while recovery keeps failing.
        Assert.Equal("+OK", await _redis.CommandAsync("ACL", "SETUSER", "default", "-@read", "-@write", "-@scripting"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await node.IngestAsync("https://github.com/pharos/refused")).StatusCode);

        // Several reads: each may meet the supervisor between two recovery attempts or an attempt under way.
        for (var i = 0; i < 5; i++)
        {
            var response = await node.Client.GetAsync("/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("not_ready", body.GetProperty("status").GetString());
            Assert.True(body.GetProperty("cluster_up").GetBoolean());
            Assert.False(body.GetProperty("journal_reachable").GetBoolean());
            Assert.Equal("healthy", body.GetProperty("checks").GetProperty("redis-persistence").GetProperty("status").GetString());

            // The original's health route says the same in its words: its `redis` service is the journal.
            var legacy = await node.Client.GetAsync(NodeHealth.LegacyHealthRoute);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, legacy.StatusCode);
            var health = JsonDocument.Parse(await legacy.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("unhealthy", health.GetProperty("status").GetString());
            Assert.StartsWith("unhealthy: ", health.GetProperty("services").GetProperty("redis").GetString());
            Assert.Equal("healthy", health.GetProperty("services").GetProperty("cluster").GetString());
        }

        Assert.Equal("+OK", await _redis.CommandAsync("ACL", "SETUSER", "default", "+@all"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await node.Client.GetAsync("/ready")).IsSuccessStatusCode)
        {
            Assert.True(DateTime.UtcNow < deadline, "the node did not become ready after Redis served the journal again");
            await Task.Delay(200);
        }
    }
}
