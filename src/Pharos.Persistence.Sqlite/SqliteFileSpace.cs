using Microsoft.Data.Sqlite;

namespace Pharos.Persistence.Sqlite;

/// <summary>
/// Keeps a SQLite file as large as what it holds. Deleted rows free their pages into the file's free list, where new
/// rows reuse them, but a file never shrinks by itself and a WAL file grows to its largest burst and stays there. So
/// the file uses <c>auto_vacuum = INCREMENTAL</c>, and after a delete its free pages are handed back
/// (<c>incremental_vacuum</c>) and the WAL is checkpointed and truncated.
/// </summary>
public static class SqliteFileSpace
{
    /// <summary>SQLite's value of <c>PRAGMA auto_vacuum</c> for INCREMENTAL.</summary>
    internal const long Incremental = 2;

    /// <summary>
    /// Sets <c>auto_vacuum = INCREMENTAL</c> before the first table is made. A file made before without it is rebuilt
    /// once with <c>VACUUM</c>, the only way SQLite changes the mode of a file with tables (a crash during it leaves the
    /// file as it was).
    /// </summary>
    public static void UseIncrementalVacuum(SqliteConnection connection)
    {
        if (Scalar(connection, "PRAGMA auto_vacuum;") == Incremental) return;
        Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
        if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_schema;") > 0) Execute(connection, "VACUUM;");
    }

    /// <summary>
    /// Hands the file's free pages back to the file system and moves the WAL into the file, truncating it. Run outside
    /// any transaction, by the file's one writer, after a delete; a reader still on the WAL only makes the truncation
    /// wait for the next time.
    /// </summary>
    public static void Reclaim(SqliteConnection connection) =>
        Execute(connection, "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);");

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
