namespace Pharos.Persistence.Sqlite.Tests.Support;

/// <summary>
/// The files Akka.Persistence.Sql 1.5.73 (linq2db, provider SQLite.MS) created for the cloud node of the release before
/// this plugin (tests/Pharos.CloudNode.Tests/Golden), emptied of their rows: its schema as it made it, the oracle the
/// plugin's is checked against, and the files its rows are written into by hand.
/// </summary>
public static class AkkaPersistenceSqlFiles
{
    /// <summary>Its journal file (tables journal and tags) at <paramref name="file"/>, with no rows.</summary>
    public static void EmptyJournalAt(string file)
    {
        File.Copy(Golden("pharos.db"), file, overwrite: true);
        SqliteStorage.Execute(file, "DELETE FROM tags; DELETE FROM journal; DELETE FROM sqlite_sequence;");
    }

    /// <summary>Its snapshot file (table snapshot) at <paramref name="file"/>, with no rows.</summary>
    public static void EmptySnapshotsAt(string file)
    {
        File.Copy(Golden("pharos-snapshots.db"), file, overwrite: true);
        SqliteStorage.Execute(file, "DELETE FROM snapshot;");
    }

    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);
}
