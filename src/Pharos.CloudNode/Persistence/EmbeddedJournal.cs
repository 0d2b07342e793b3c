using Pharos.Persistence.Sqlite.Hosting;

namespace Pharos.CloudNode.Persistence;

public static class EmbeddedJournal
{
    public const string JournalFile = "pharos.db";
    public const string SnapshotFile = "pharos-snapshots.db";

    /// <summary>
    /// Pharos.Persistence.Sqlite under PHAROS_DATA_DIR: durable with no server to install, in the tables Akka.Persistence.Sql
    /// wrote before it (a data directory of an earlier release is read as it is). Events and snapshots live in two
    /// files, because SQLite has one writer per file: a snapshot being saved must not make the next accepted task wait
    /// for the lock. Both in WAL mode (the plugin's default): a commit is one fsync, on disk before the 202.
    /// </summary>
    public static AkkaConfigurationBuilder WithEmbeddedJournal(this AkkaConfigurationBuilder builder, StorageSettings settings)
    {
        Directory.CreateDirectory(settings.DataDirFull);
        var journal = ConnectionString(settings, JournalFile);
        var snapshots = ConnectionString(settings, SnapshotFile);
        return builder.WithSqlitePersistence(journal, snapshots);
    }

    // A write that waits on a lock longer than a few seconds fails (503, nothing accepted) rather than outliving the
    // HTTP request that waits for it.
    private static string ConnectionString(StorageSettings settings, string file) =>
        $"Data Source={Path.Combine(settings.DataDirFull, file)};Pooling=True;Default Timeout=3";
}
