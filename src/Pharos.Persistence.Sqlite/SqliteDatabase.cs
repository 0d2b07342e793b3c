using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Pharos.Persistence.Sqlite;

/// <summary>
/// One SQLite file of a plugin: its connections (Microsoft.Data.Sqlite pools them) and its one writer at a time.
/// SQLite takes one write transaction per file; queueing writers here, rather than on the file's lock, keeps a write
/// from failing with SQLITE_BUSY while another commits. Deletes give their space back (<see cref="SqliteFileSpace"/>).
/// </summary>
internal sealed class SqliteDatabase
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    private static readonly string[] JournalModes = ["wal", "delete", "truncate", "persist", "memory", "off"];

    /// <summary>
    /// Opens the file named by the plugin's <c>connection-string</c>, sets its <c>journal-mode</c> (a property of the
    /// file, so it holds for every connection) and creates <paramref name="schema"/>'s tables if missing.
    /// </summary>
    public SqliteDatabase(Config config, string pluginId, string schema)
    {
        _connectionString = config.GetString("connection-string");
        if (string.IsNullOrWhiteSpace(_connectionString))
            throw new ConfigurationException($"{pluginId}.connection-string is empty: name the SQLite file (\"Data Source=/path/file.db\").");
        var journalMode = config.GetString("journal-mode", "wal").ToLowerInvariant();
        if (!JournalModes.Contains(journalMode))
            throw new ConfigurationException($"{pluginId}.journal-mode is '{journalMode}': one of {string.Join(", ", JournalModes)}.");
        using var connection = Open();
        SqliteFileSpace.UseIncrementalVacuum(connection);
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA journal_mode={journalMode};\n{schema}";
        command.ExecuteNonQuery();
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Runs <paramref name="write"/> in a transaction of its own, once no other write of this file runs; after a delete
    /// (<paramref name="reclaim"/>), hands the freed pages back (<see cref="SqliteFileSpace.Reclaim"/>).
    /// </summary>
    public async Task WriteAsync(Action<SqliteConnection, SqliteTransaction> write, CancellationToken cancellationToken,
        bool reclaim = false)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Microsoft.Data.Sqlite's async methods run synchronously: the transaction (and its fsync) runs on a thread
            // of the pool, not on the journal actor's.
            await Task.Run(() =>
            {
                using var connection = Open();
                using var transaction = connection.BeginTransaction();
                write(connection, transaction);
                transaction.Commit();
                if (reclaim) SqliteFileSpace.Reclaim(connection);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>A command on <paramref name="connection"/> with its parameters, named as in <paramref name="sql"/> ($name).</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }
}
