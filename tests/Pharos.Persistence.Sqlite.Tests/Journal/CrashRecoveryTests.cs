using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>
/// The process killed without a clean stop, in WAL mode as the cloud node runs: what was acknowledged is in the files
/// (database and write-ahead log) at that moment, and another actor system recovers all of it from them.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : SqliteSpec(output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task An_actor_system_on_the_files_a_killed_one_left_recovers_every_acknowledged_event_and_snapshot()
    {
        var (actor, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);
        // The plugins put their files in WAL mode (their default) when they start.
        Assert.Equal("wal", JournalMode(Storage.JournalFile));
        Assert.Equal("wal", JournalMode(Storage.SnapshotFile));
        for (var i = 1; i <= 10; i++) actor.Tell(new PersistOne($"e-{i}"));
        actor.Tell(new PersistMany(Enumerable.Range(11, 5).Select(i => (object)$"e-{i}").ToArray()));
        for (var i = 1; i <= 15; i++) reporter.ExpectMsg<Persisted>(p => p.SequenceNr == i, Long);
        actor.Tell(new TakeSnapshot());
        reporter.ExpectMsg<SnapshotSaved>(s => s.SequenceNr == 15, Long);
        actor.Tell(new PersistOne(new ManifestedEvent("after the snapshot", 2)));
        reporter.ExpectMsg<Persisted>(p => p.SequenceNr == 16, Long);
        var acknowledged = await actor.Ask<State>(new GetState(), Long);

        // The TestKit's actor system is still running, its journal's connections open: the kill happens now.
        using var crashed = Storage.CrashImage();
        Assert.True(new FileInfo(crashed.JournalFile + "-wal").Length > 0, "the journal's write-ahead log was not copied");

        var after = ActorSystem.Create("after-the-crash", crashed.PluginConfig.WithFallback(CommonConfig));
        try
        {
            var (actor2, reporter2) = Start(Pid, after);
            var recovered = reporter2.ExpectMsg<Recovered>(Long);
            Assert.Equal(15, recovered.SnapshotSequenceNr);
            Assert.Equal(acknowledged.Events, recovered.Events);
            Assert.Equal(16, recovered.LastSequenceNr);

            actor2.Tell(new PersistOne("e-17"));
            reporter2.ExpectMsg<Persisted>(p => p.Event.Equals("e-17") && p.SequenceNr == 17, Long);
        }
        finally
        {
            await after.Terminate().WaitAsync(Long);
        }
    }

    private static string JournalMode(string file) => (string)SqliteStorage.Query(file, "PRAGMA journal_mode")[0][0]!;
}
