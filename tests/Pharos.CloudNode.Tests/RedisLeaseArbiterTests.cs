using System.Diagnostics;
using Pharos.CloudNode.Persistence;
using Pharos.Persistence.Redis;
using Pharos.Testing.Redis;
using StackExchange.Redis;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// The split brain resolver's tie-break between two cloud nodes, in a real redis-server: one owner at a time, renewed
/// by its owner, given back only by its owner, lapsing after its TTL.
/// </summary>
public sealed class RedisLeaseArbiterTests : IAsyncLifetime
{
    private const string Lease = "pharos-akka-sbr";
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private RedisLeaseArbiter _arbiter = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        // Parsed as the node parses PHAROS_REDIS (fail fast while Redis is down).
        _connection = await ConnectionMultiplexer.ConnectAsync(RedisConnection.Parse(_redis.ConnectionString));
        _arbiter = new RedisLeaseArbiter(() => Task.FromResult(_connection.GetDatabase()), "pharos:");
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task The_first_side_to_ask_gets_the_lease_and_the_other_side_does_not()
    {
        var ttl = TimeSpan.FromMinutes(1);
        var answers = await Task.WhenAll(
            _arbiter.TryAcquireAsync(Lease, "127.0.0.1:4053", ttl), _arbiter.TryAcquireAsync(Lease, "127.0.0.1:4054", ttl));
        Assert.Equal(1, answers.Count(granted => granted));
        var winner = answers[0] ? "127.0.0.1:4053" : "127.0.0.1:4054";
        var loser = answers[0] ? "127.0.0.1:4054" : "127.0.0.1:4053";

        // Its owner takes it again (a retry, a second decision); the other side still cannot.
        Assert.True(await _arbiter.TryAcquireAsync(Lease, winner, ttl));
        Assert.False(await _arbiter.TryAcquireAsync(Lease, loser, ttl));
        // Only the owner gives it back.
        await _arbiter.ReleaseAsync(Lease, loser);
        Assert.False(await _arbiter.TryAcquireAsync(Lease, loser, ttl));
        await _arbiter.ReleaseAsync(Lease, winner);
        Assert.Equal(":0", await _redis.CommandAsync("EXISTS", RedisLeaseArbiter.KeyFor("pharos:", Lease)));
        Assert.True(await _arbiter.TryAcquireAsync(Lease, loser, ttl));
    }

    [Fact]
    public async Task A_lease_whose_owner_died_lapses_after_its_ttl()
    {
        Assert.True(await _arbiter.TryAcquireAsync(Lease, "dead-owner", TimeSpan.FromMilliseconds(300)));
        Assert.False(await _arbiter.TryAcquireAsync(Lease, "survivor", TimeSpan.FromMinutes(1)));
        // Redis expires the key; the survivor asks until it gets the lease (bounded, so a key that never lapses fails).
        var clock = Stopwatch.StartNew();
        while (!await _arbiter.TryAcquireAsync(Lease, "survivor", TimeSpan.FromMinutes(1)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the dead owner's lease never lapsed");
            await Task.Delay(50);
        }
        Assert.False(await _arbiter.TryAcquireAsync(Lease, "dead-owner", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Without_redis_the_lease_is_refused_by_an_error_not_granted()
    {
        await _redis.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => _arbiter.TryAcquireAsync(Lease, "127.0.0.1:4053", TimeSpan.FromMinutes(1)));
    }
}
