using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.Persistence.Redis;
using Pharos.Testing.Redis;
using Pharos.Testing.Results;
using StackExchange.Redis;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>The result store contract on a real redis-server, and its documented key layout.</summary>
public sealed class RedisResultStoreTests : ResultStoreContract, IAsyncLifetime
{
    private const string Prefix = "pharos:";
    private RedisServer _redis = null!;
    private readonly List<RedisResultStore> _stores = [];

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>Each instance on a connection of its own, as each cloud node has.</summary>
    protected override Task<ResultStore> OpenAsync(int keep = 1, ResultCache? cache = null)
    {
        var store = RedisResultStore.Connect(_redis.ConnectionString, Prefix, keep, cache ?? new ResultCache());
        _stores.Add(store);
        return Task.FromResult<ResultStore>(store);
    }

    [Fact]
    public async Task Results_live_under_the_key_prefix_as_documented()
    {
        var store = (RedisResultStore)await OpenAsync(keep: 2);
        const string repo = "https://github.com/o/r";
        var bytes = ResultSamples.Bundle(repo, "c1").ToBytes();
        await store.PutAsync(bytes);
        await store.PutAsync(ResultSamples.Bundle(repo, "c2", minutes: 1).ToBytes());

        Assert.Equal(":1", await _redis.CommandAsync("ZCARD", "pharos:results:repos"));
        Assert.Equal(":2", await _redis.CommandAsync("ZCARD", "pharos:results:commits:" + repo));
        Assert.Equal(":2", await _redis.CommandAsync("HLEN", "pharos:results:bundles:" + repo));
        Assert.Equal(":2", await _redis.CommandAsync("HLEN", "pharos:results:summaries:" + repo));
        Assert.Equal(":1", await _redis.CommandAsync("HEXISTS", "pharos:results:latest", repo));
        Assert.Equal($":{bytes.Length}", await _redis.CommandAsync("HSTRLEN", "pharos:results:bundles:" + repo, "c1"));

        await store.DeleteAsync(repo);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Parse(_redis.ConnectionString));
        Assert.Empty(connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "pharos:results:*").ToArray());
    }

    [Fact]
    public async Task A_named_ref_lives_under_its_own_keys_and_the_default_branch_where_results_lived_before_refs()
    {
        var store = (RedisResultStore)await OpenAsync(keep: 2);
        const string repo = "https://github.com/o/refs";
        await store.PutAsync(ResultSamples.Bundle(repo, "m1").ToBytes());
        await store.PutAsync(ResultSamples.Bundle(repo, "t1", minutes: 1, gitRef: "release/v1.0").ToBytes());

        Assert.Equal(":1", await _redis.CommandAsync("ZCARD", "pharos:results:commits:" + repo));
        Assert.Equal(":1", await _redis.CommandAsync("HEXISTS", "pharos:results:bundles:" + repo, "m1"));
        Assert.Equal(":1", await _redis.CommandAsync("ZCARD", "pharos:results:ref:release/v1.0:commits:" + repo));
        Assert.Equal(":1", await _redis.CommandAsync("HEXISTS", "pharos:results:ref:release/v1.0:bundles:" + repo, "t1"));
        Assert.Equal(":1", await _redis.CommandAsync("HEXISTS", "pharos:results:ref:release/v1.0:summaries:" + repo, "t1"));
        Assert.Equal(":1", await _redis.CommandAsync("ZCARD", "pharos:results:refs:" + repo));
        Assert.Equal(":1", await _redis.CommandAsync("ZCARD", "pharos:results:repos"));
        Assert.Equal("t1", (await store.GetAsync(repo))?.Header.CommitSha);

        await store.DeleteAsync(repo);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Parse(_redis.ConnectionString));
        Assert.Empty(connection.GetServer(connection.GetEndPoints()[0]).Keys(pattern: "pharos:results:*").ToArray());
    }

    [Fact]
    public async Task A_store_written_before_refs_is_read_as_the_default_branch_s_and_kept_beside_new_refs()
    {
        // The keys and summaries exactly as the build before refs wrote them (its summaries have no "ref").
        const string repo = "https://github.com/o/legacy";
        var legacy = ResultSamples.Bundle(repo, "old1", "t-old", minutes: 0, seed: 4);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Parse(_redis.ConnectionString)))
        {
            var db = connection.GetDatabase();
            var ms = legacy.Header.TrainedAt.ToUnixTimeMilliseconds();
            var summary = $$"""
                {"repo_url":"{{repo}}","commit_sha":"old1","task_id":"t-old","trained_at":"2026-12-04T12:00:00+00:00","files":5,"edges":4,"dims":8,"final_loss":0.5}
                """;
            await db.SortedSetAddAsync("pharos:results:repos", repo, ms);
            await db.HashSetAsync("pharos:results:latest", repo, summary);
            await db.SortedSetAddAsync("pharos:results:commits:" + repo, "old1", ms);
            await db.HashSetAsync("pharos:results:bundles:" + repo, "old1", legacy.ToBytes());
            await db.HashSetAsync("pharos:results:summaries:" + repo, "old1", summary);
        }

        var store = await OpenAsync(keep: 1);
        var listed = Assert.Single(await store.ListAsync());
        Assert.Equal(StoredResult.Of(legacy.Header), listed);
        Assert.Null(listed.Ref);
        Assert.Equal("t-old", (await store.GetAsync(repo))?.Header.TaskId);
        Assert.Equal("t-old", (await store.GetAsync(repo, "old1", ResultRefs.DefaultBranch))?.Header.TaskId);
        Assert.Equal(legacy.Vectors, (await store.GetAsync(repo, gitRef: ResultRefs.DefaultBranch))?.Vectors);

        // A tag embedded now keeps the old default branch's result; a newer default branch result replaces it.
        await store.PutAsync(ResultSamples.Bundle(repo, "tag1", "t-tag", minutes: 1, gitRef: "v1.0").ToBytes());
        Assert.Equal([("t-tag", "v1.0"), ("t-old", null)], (await store.ListAsync()).Select(r => (r.TaskId, r.Ref)));
        await store.PutAsync(ResultSamples.Bundle(repo, "new1", "t-new", minutes: 2).ToBytes());
        Assert.Null(await store.GetAsync(repo, "old1"));
        Assert.Equal([("t-new", null), ("t-tag", "v1.0")], (await store.ListAsync()).Select(r => (r.TaskId, r.Ref)));
    }

    [Fact]
    public async Task While_redis_is_down_a_put_fails_rather_than_claiming_it_stored()
    {
        var store = await OpenAsync();
        await store.PutAsync(ResultSamples.Bundle().ToBytes());
        await _redis.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.PutAsync(ResultSamples.Bundle(commitSha: "c2", minutes: 1).ToBytes()));
    }
}
