using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>
/// A file as large as what it holds: the plugins make their files with <c>auto_vacuum = INCREMENTAL</c> (rebuilding one
/// made without it), and deleting events or snapshots hands the pages back and truncates the write-ahead log.
/// </summary>
public sealed class FileSpaceTests(ITestOutputHelper output) : SqliteSpec(output)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public void New_files_reclaim_space_incrementally()
    {
        var (_, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);
        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), TestActor);
        ExpectMsg<LoadSnapshotResult>(Long);
        Assert.Equal(SqliteFileSpace.Incremental, AutoVacuum(Storage.JournalFile));
        Assert.Equal(SqliteFileSpace.Incremental, AutoVacuum(Storage.SnapshotFile));
    }

    [Fact]
    public void A_file_made_without_incremental_vacuum_is_rebuilt_with_it_and_keeps_its_events()
    {
        // The schema and two events as a release before this one left them: auto_vacuum NONE.
        SqliteStorage.Execute(Storage.JournalFile, "PRAGMA journal_mode=wal;\n" + Pharos.Persistence.Sqlite.Journal.SqliteJournal.Schema);
        Assert.Equal(0L, AutoVacuum(Storage.JournalFile));
        var (first, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);
        first.Tell(new PersistMany(["e-1", "e-2"]));
        reporter.FishForMessage(m => m is Persisted { SequenceNr: 2 }, Long);
        Assert.Equal(SqliteFileSpace.Incremental, AutoVacuum(Storage.JournalFile));

        Sys.Stop(first);
        var (_, again) = Start(Pid);
        var recovered = again.ExpectMsg<Recovered>(Long);
        Assert.Equal(["e-1", "e-2"], recovered.Events);
    }

    [Fact]
    public void Deleting_events_gives_their_pages_back_and_truncates_the_write_ahead_log()
    {
        var (actor, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);
        var payload = new string('x', 4000);
        for (var batch = 0; batch < 20; batch++)
            actor.Tell(new PersistMany(Enumerable.Range(0, 50).Select(i => (object)$"{batch}-{i}-{payload}").ToArray()));
        reporter.FishForMessage(m => m is Persisted { SequenceNr: 1000 }, Long);
        var full = Size(Storage.JournalFile);
        Assert.True(full > 4_000_000, $"1,000 events of 4 KB take {full:N0} bytes");

        actor.Tell(new DeleteEventsTo(999));
        reporter.FishForMessage(m => m is EventsDeleted, Long);
        var trimmed = Size(Storage.JournalFile);
        TestOutput.WriteLine($"journal file and WAL: {full:N0} bytes with 1,000 events, {trimmed:N0} bytes after deleting 999");
        Assert.True(trimmed < full / 10, $"{trimmed:N0} bytes after the delete, {full:N0} before");
        Assert.Equal(0L, (long)SqliteStorage.Query(Storage.JournalFile, "PRAGMA freelist_count")[0][0]!);
    }

    [Fact]
    public void Deleting_snapshots_gives_their_pages_back()
    {
        var (actor, reporter) = Start(Pid);
        reporter.ExpectMsg<Recovered>(Long);
        var payload = new string('s', 200_000);
        for (var i = 1; i <= 10; i++)
        {
            actor.Tell(new PersistOne($"{i}-{payload}"));
            reporter.ExpectMsg<Persisted>(p => p.SequenceNr == i, Long);
            actor.Tell(new TakeSnapshot());
            reporter.ExpectMsg<SnapshotSaved>(s => s.SequenceNr == i, Long);
        }
        var full = Size(Storage.SnapshotFile);

        SnapshotStore.Tell(new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(9)), TestActor);
        ExpectMsg<DeleteSnapshotsSuccess>(Long);
        var trimmed = Size(Storage.SnapshotFile);
        TestOutput.WriteLine($"snapshot file and WAL: {full:N0} bytes with 10 snapshots, {trimmed:N0} bytes with the last");
        Assert.True(trimmed < full / 3, $"{trimmed:N0} bytes after the delete, {full:N0} before");
    }

    private static long AutoVacuum(string file) => (long)SqliteStorage.Query(file, "PRAGMA auto_vacuum")[0][0]!;

    /// <summary>The database and its write-ahead log: what the file takes on disk.</summary>
    private static long Size(string file) =>
        new FileInfo(file).Length + (File.Exists(file + "-wal") ? new FileInfo(file + "-wal").Length : 0);
}
