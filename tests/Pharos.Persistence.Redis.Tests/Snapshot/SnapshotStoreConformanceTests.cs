namespace Pharos.Persistence.Redis.Tests.Snapshot;

/// <summary>The shared snapshot store cases on Redis, plus the official plugin's key layout.</summary>
public sealed class SnapshotStoreConformanceTests(RedisFixture redis, ITestOutputHelper output)
    : SnapshotStoreConformanceSpec<RedisStorage>(new RedisStorage(redis.Server), output, RedisPersistenceSpec.SystemName),
        IClassFixture<RedisFixture>
{
    [Fact]
    public void Stores_snapshots_in_a_sorted_set_scored_by_sequence_number()
    {
        Assert.Equal(RedisType.SortedSet, Storage.Db.KeyType(Storage.SnapshotKey(Pid)));
        Assert.Equal(new double[] { 11, 12, 13, 14, 15 },
            Storage.Db.SortedSetRangeByRankWithScores(Storage.SnapshotKey(Pid)).Select(e => e.Score).ToArray());
    }
}
