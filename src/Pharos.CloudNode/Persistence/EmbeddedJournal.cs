using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Pharos.Actors.Hosting;

namespace Pharos.CloudNode.Persistence;

public static class EmbeddedJournal
{
    public const string JournalFile = "pharos.db";
    public const string SnapshotFile = "pharos-snapshots.db";

    /// <summary>
    /// Akka.Persistence.Sql on SQLite under PHAROS_DATA_DIR: durable with no server to install. Events and snapshots
    /// live in two files, because SQLite has one writer per file: a snapshot being saved must not make the next
    /// accepted task wait for the lock.
    /// </summary>
    public static AkkaConfigurationBuilder WithEmbeddedJournal(this AkkaConfigurationBuilder builder, StorageSettings settings)
    {
        Directory.CreateDirectory(settings.DataDirFull);
        var journal = ConnectionString(settings, JournalFile);
        var snapshots = ConnectionString(settings, SnapshotFile);
        UseWriteAheadLog(journal);
        UseWriteAheadLog(snapshots);
        // What the typed options below cannot say: one writer, and started with the actor system.
        builder.AddHoconFile(PharosAkkaHosting.HoconFile("sqlite-journal.hocon"), HoconAddMode.Prepend);
        return builder.WithSqlPersistence(
            new SqlJournalOptions(isDefaultPlugin: true)
            {
                ConnectionString = journal,
                ProviderName = ProviderName.SQLiteMS,
                AutoInitialize = true,
            },
            new SqlSnapshotOptions(isDefaultPlugin: true)
            {
                ConnectionString = snapshots,
                ProviderName = ProviderName.SQLiteMS,
                AutoInitialize = true,
            });
    }

    // A write that waits on a lock longer than a few seconds fails (503, nothing accepted) rather than outliving the
    // HTTP request that waits for it.
    private static string ConnectionString(StorageSettings settings, string file) =>
        $"Data Source={Path.Combine(settings.DataDirFull, file)};Pooling=True;Default Timeout=3";

    /// <summary>
    /// WAL is a property of the database file, so setting it once here covers the plugin's own connections. With the
    /// default synchronous=FULL a commit is still on disk before the 202; it just costs one fsync instead of several.
    /// </summary>
    private static void UseWriteAheadLog(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }
}
