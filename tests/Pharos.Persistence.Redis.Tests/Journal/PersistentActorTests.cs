namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>The shared persistent actor cases on Redis.</summary>
public sealed class PersistentActorTests(RedisFixture redis, ITestOutputHelper output)
    : PersistentActorSpec<RedisStorage>(new RedisStorage(redis.Server), output, RedisPersistenceSpec.SystemName),
        IClassFixture<RedisFixture>;
