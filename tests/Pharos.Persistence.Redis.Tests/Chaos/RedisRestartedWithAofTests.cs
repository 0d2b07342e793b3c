using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Redis.Tests.Chaos;

/// <summary>
/// redis-server with <c>appendonly yes, appendfsync always</c> is killed (kill -9) and started again on the same
/// directory: the journal and snapshots are reloaded from the AOF and an actor recovers to exactly the state it had.
/// </summary>
public sealed class RedisRestartedWithAofTests(AofRedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output, ShortCircuitBreakers), IClassFixture<AofRedisFixture>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task After_a_kill_and_an_AOF_restart_the_actor_recovers_the_identical_state()
    {
        var (actor, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);

        // Singles, PersistAll batches, a snapshot in the middle, a manifest-serialized event, then more.
        for (var i = 1; i <= 20; i++) actor.Tell(new PersistOne($"e-{i}"));
        for (var b = 0; b < 5; b++)
            actor.Tell(new PersistMany(Enumerable.Range(1, 4).Select(i => (object)$"batch{b}-{i}").ToArray()));
        for (var i = 0; i < 40; i++) reporter.ExpectMsg<Persisted>(Long);
        actor.Tell(new TakeSnapshot());
        reporter.ExpectMsg<SnapshotSaved>(s => s.SequenceNr == 40, Long);
        actor.Tell(new PersistOne(new ManifestedEvent("versioned", 2)));
        for (var i = 41; i <= 60; i++) actor.Tell(new PersistOne($"e-{i}"));
        for (var i = 0; i < 21; i++) reporter.ExpectMsg<Persisted>(Long);
        var before = await actor.Ask<State>(new GetState(), Long);
        Assert.Equal(61, before.LastSequenceNr);
        var journalBefore = await DumpAsync(Storage.JournalKey(Pid));
        var snapshotsBefore = await DumpAsync(Storage.SnapshotKey(Pid));
        var highestBefore = (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(Pid));

        await Server.KillAsync();
        await Server.RestartAsync();
        Storage.ReconnectDirectConnection();

        // Byte for byte what was there before the kill.
        Assert.Equal(journalBefore, await DumpAsync(Storage.JournalKey(Pid)));
        Assert.Equal(snapshotsBefore, await DumpAsync(Storage.SnapshotKey(Pid)));
        Assert.Equal(highestBefore, (string?)await Storage.Db.StringGetAsync(Storage.HighestSequenceNrKey(Pid)));

        // A new incarnation in the same actor system (its Redis connection had to reconnect).
        Sys.Stop(actor);
        var reporter2 = CreateTestProbe();
        var (actor2, recovered) = RecoverOnceReconnected(Pid, reporter2);
        Assert.Equal(40, recovered.SnapshotSequenceNr);
        Assert.Equal(before.Events, recovered.Events);
        Assert.Equal(before.LastSequenceNr, recovered.LastSequenceNr);
        Assert.Equal(before, await actor2.Ask<State>(new GetState(), Long), StateComparer.Instance);

        // And in a fresh actor system.
        var other = ActorSystem.Create("after-restart", Sys.Settings.Config);
        try
        {
            var (_, reporter3) = Start(Pid, other);
            var recovered3 = reporter3.ExpectMsg<Recovered>(Long);
            Assert.Equal(before.Events, recovered3.Events);
            Assert.Equal(before.LastSequenceNr, recovered3.LastSequenceNr);
        }
        finally
        {
            await other.Terminate().WaitAsync(Long);
        }

        // Writing goes on after the restart, with the next sequence number.
        actor2.Tell(new PersistOne("after-restart"));
        reporter2.ExpectMsg<Persisted>(p => p.Event.Equals("after-restart") && p.SequenceNr == 62, Long);
    }

    private async Task<List<(double Score, string Member)>> DumpAsync(string key) =>
        (await Storage.Db.SortedSetRangeByRankWithScoresAsync(key))
        .Select(e => (e.Score, Convert.ToBase64String((byte[])e.Element!)))
        .ToList();

    private sealed class StateComparer : IEqualityComparer<State>
    {
        public static readonly StateComparer Instance = new();

        public bool Equals(State? x, State? y) =>
            x is not null && y is not null && x.LastSequenceNr == y.LastSequenceNr && x.Events.SequenceEqual(y.Events);

        public int GetHashCode(State obj) => obj.LastSequenceNr.GetHashCode();
    }
}
