using System.Text.RegularExpressions;

namespace Pharos.Persistence.Sqlite.Tests;

/// <summary>
/// The tables and indexes the plugins create are Akka.Persistence.Sql's, so that a file either one created is the same
/// file: compared object by object with the files Akka.Persistence.Sql made (<see cref="AkkaPersistenceSqlFiles"/>).
/// </summary>
public sealed class SchemaTests(ITestOutputHelper output) : SqliteSpec(output)
{
    [Fact]
    public void The_journal_file_has_Akka_Persistence_Sqls_journal_and_tags_tables_and_nothing_else()
    {
        StartPlugins();
        var reference = Path.Combine(Storage.Directory, "reference-journal.db");
        AkkaPersistenceSqlFiles.EmptyJournalAt(reference);

        AssertSameSchema(reference, Storage.JournalFile);
    }

    [Fact]
    public void The_snapshot_file_has_Akka_Persistence_Sqls_snapshot_table_and_nothing_else()
    {
        StartPlugins();
        var reference = Path.Combine(Storage.Directory, "reference-snapshots.db");
        AkkaPersistenceSqlFiles.EmptySnapshotsAt(reference);

        AssertSameSchema(reference, Storage.SnapshotFile);
    }

    private static void AssertSameSchema(string expectedFile, string actualFile)
    {
        var expected = Describe(expectedFile);
        var actual = Describe(actualFile);
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"missing:\n  {string.Join("\n  ", missing)}\nnot in Akka.Persistence.Sql's:\n  {string.Join("\n  ", extra)}");
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// Every object of <paramref name="file"/>: its CREATE statement (whitespace collapsed; SQLite keeps the text
    /// without IF NOT EXISTS), and for each table its columns and indexes as SQLite reports them.
    /// </summary>
    private static List<string> Describe(string file)
    {
        var lines = new List<string>();
        var objects = SqliteStorage.Query(file,
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name");
        foreach (var o in objects)
            lines.Add($"{o[0]} {o[1]} on {o[2]}: {(o[3] is string sql ? Regex.Replace(sql, @"\s+", " ") : "(implicit)")}");
        foreach (var table in objects.Where(o => (string)o[0]! == "table").Select(o => (string)o[1]!))
        {
            foreach (var c in SqliteStorage.Query(file, $"SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"))
                lines.Add($"column {table}.{c[0]} {c[1]} not-null={c[2]} default={c[3]} pk={c[4]}");
            foreach (var i in SqliteStorage.Query(file, $"SELECT name, \"unique\", origin, partial FROM pragma_index_list('{table}') ORDER BY name"))
            {
                var columns = SqliteStorage.Query(file, $"SELECT name FROM pragma_index_info('{i[0]}') ORDER BY seqno")
                    .Select(c => (string)c[0]!);
                lines.Add($"index {table}.{i[0]} unique={i[1]} origin={i[2]} partial={i[3]} ({string.Join(", ", columns)})");
            }
        }
        return lines;
    }
}
