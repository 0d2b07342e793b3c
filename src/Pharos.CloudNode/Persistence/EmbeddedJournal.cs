using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using LinqToDB;
using Microsoft.Data.Sqlite;
using Pharos.Actors.Configuration;

namespace Pharos.CloudNode.Persistence;

public static class EmbeddedJournal
{
    /// <summary>Akka.Persistence.Sql on SQLite under PHAROS_DATA_DIR: durable with no server to install.</summary>
    public static AkkaConfigurationBuilder WithEmbeddedJournal(this AkkaConfigurationBuilder builder, PharosSettings settings)
    {
        Directory.CreateDirectory(settings.DataDirFull);
        // A write that waits on a lock longer than a few seconds fails (503, nothing accepted) rather than outliving
        // the HTTP request that waits for it.
        var connectionString = $"Data Source={Path.Combine(settings.DataDirFull, "pharos.db")};Pooling=True;Default Timeout=3";
        UseWriteAheadLog(connectionString);
        return builder.WithSqlPersistence(connectionString, ProviderName.SQLiteMS);
    }

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
