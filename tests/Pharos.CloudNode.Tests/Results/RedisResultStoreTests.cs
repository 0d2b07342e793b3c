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
    public async Task While_redis_is_down_a_put_fails_rather_than_claiming_it_stored()
    {
        var store = await OpenAsync();
        await store.PutAsync(ResultSamples.Bundle().ToBytes());
        await _redis.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.PutAsync(ResultSamples.Bundle(commitSha: "c2", minutes: 1).ToBytes()));
    }
}
