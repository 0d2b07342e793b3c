using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Pharos.Actors.Results;

namespace Pharos.CloudNode.ResultStorage;

/// <summary>
/// The embedded result store: one table in <c>PHAROS_DATA_DIR/results.db</c> (a file of its own, so a large result
/// being written never holds the journal's lock), WAL, synchronous=FULL: a put is on disk before it returns. Bundles
/// are written and read through SQLite's incremental blob I/O, not copied into a parameter. What retention deletes
/// is handed back to the file system (<see cref="Pharos.Persistence.Sqlite.SqliteFileSpace"/>).
/// </summary>
public sealed class SqliteResultStore : ResultStore
{
    public const string FileName = "results.db";

    // ref: the branch, tag or commit the task named, '' for the default branch (a ref of its own; '' rather than NULL,
    // which a primary key would not make unique).
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS results (
          repo_url      TEXT    NOT NULL,
          ref           TEXT    NOT NULL DEFAULT '', -- the ref the task named; '' the default branch
          commit_sha    TEXT    NOT NULL,
          task_id       TEXT    NOT NULL,
          trained_at    TEXT    NOT NULL, -- ISO 8601 with its offset, as the bundle says
          trained_at_ms INTEGER NOT NULL, -- the same instant in Unix milliseconds: the order of commits
          files         INTEGER NOT NULL,
          edges         INTEGER NOT NULL,
          dims          INTEGER NOT NULL,
          final_loss    REAL    NOT NULL,
          bundle        BLOB    NOT NULL, -- the ResultBundle bytes as the edge sent them
          PRIMARY KEY (repo_url, ref, commit_sha));
        CREATE INDEX IF NOT EXISTS results_newest ON results (repo_url, trained_at_ms DESC, commit_sha DESC, ref DESC);
        CREATE INDEX IF NOT EXISTS results_newest_of_ref ON results (repo_url, ref, trained_at_ms DESC, commit_sha DESC);
        """;

    /// <summary>
    /// A results.db of a build before refs (keyed by repository and commit, no ref column): its rows are the default
    /// branch's. SQLite cannot change a primary key in place, so the table is copied into the new one in one
    /// transaction (all or nothing: a crash midway leaves the old table as it was).
    /// </summary>
    private const string MigrateFromBeforeRefs = """
        BEGIN IMMEDIATE;
        ALTER TABLE results RENAME TO results_before_refs;
        DROP INDEX IF EXISTS results_newest;
        """ + Schema + """
        INSERT INTO results (repo_url, ref, commit_sha, task_id, trained_at, trained_at_ms, files, edges, dims, final_loss, bundle)
          SELECT repo_url, '', commit_sha, task_id, trained_at, trained_at_ms, files, edges, dims, final_loss, bundle
          FROM results_before_refs;
        DROP TABLE results_before_refs;
        COMMIT;
        """;

    private const string Summary = "repo_url, commit_sha, task_id, trained_at, files, edges, dims, final_loss, ref";
    private const string Newest = "ORDER BY trained_at_ms DESC, commit_sha DESC, ref DESC";

    private readonly string _connectionString;

    public string Path { get; }

    public SqliteResultStore(string dataDir, int keep, ResultCache cache) : base(keep, cache)
    {
        Directory.CreateDirectory(dataDir);
        Path = System.IO.Path.Combine(dataDir, FileName);
        // A writer waits for another (a put while another put commits) rather than failing at once.
        _connectionString = $"Data Source={Path};Pooling=True;Default Timeout=30";
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // WAL is a property of the file; set once, it covers every later connection.
        Execute(connection, "PRAGMA journal_mode=WAL;");
        // Results replaced by newer commits are deleted; their pages go back to the file system rather than stay in it.
        Pharos.Persistence.Sqlite.SqliteFileSpace.UseIncrementalVacuum(connection);
        if (HasTableWithoutRef(connection)) Execute(connection, MigrateFromBeforeRefs);
        Execute(connection, Schema);
    }

    protected override async Task WriteAsync(StoredResult result, ReadOnlyMemory<byte> bundle, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        // The bundle is bound whole (it is in memory already): one write of its pages, where a zeroblob filled through
        // SqliteBlob afterwards writes them twice once the page cache spills.
        await using (var upsert = Command(connection, $"""
                         INSERT INTO results ({Summary}, trained_at_ms, bundle)
                         VALUES ($repo, $commit, $task, $trained_at, $files, $edges, $dims, $loss, $ref, $ms, $bundle)
                         ON CONFLICT (repo_url, ref, commit_sha) DO UPDATE SET task_id = excluded.task_id,
                           trained_at = excluded.trained_at, trained_at_ms = excluded.trained_at_ms, files = excluded.files,
                           edges = excluded.edges, dims = excluded.dims, final_loss = excluded.final_loss, bundle = excluded.bundle;
                         """))
        {
            upsert.Parameters.AddWithValue("$repo", result.RepoUrl);
            upsert.Parameters.AddWithValue("$commit", result.CommitSha);
            upsert.Parameters.AddWithValue("$task", result.TaskId);
            upsert.Parameters.AddWithValue("$trained_at", result.TrainedAt.ToString("O", CultureInfo.InvariantCulture));
            upsert.Parameters.AddWithValue("$files", result.Files);
            upsert.Parameters.AddWithValue("$edges", result.Edges);
            upsert.Parameters.AddWithValue("$dims", result.Dims);
            upsert.Parameters.AddWithValue("$loss", result.FinalLoss);
            upsert.Parameters.AddWithValue("$ref", result.Ref ?? ResultRefs.DefaultBranch);
            upsert.Parameters.AddWithValue("$ms", result.TrainedAt.ToUnixTimeMilliseconds());
            upsert.Parameters.Add("$bundle", SqliteType.Blob).Value =
                MemoryMarshal.TryGetArray(bundle, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length
                    ? whole.Array
                    : bundle.ToArray();
            await upsert.ExecuteNonQueryAsync(ct);
        }
        int pruned;
        await using (var prune = Command(connection, $"""
                         DELETE FROM results WHERE repo_url = $repo AND ref = $ref AND commit_sha NOT IN
                           (SELECT commit_sha FROM results WHERE repo_url = $repo AND ref = $ref {Newest} LIMIT $keep);
                         """))
        {
            prune.Parameters.AddWithValue("$repo", result.RepoUrl);
            prune.Parameters.AddWithValue("$ref", result.Ref ?? ResultRefs.DefaultBranch);
            prune.Parameters.AddWithValue("$keep", Keep);
            pruned = await prune.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        if (pruned > 0) Pharos.Persistence.Sqlite.SqliteFileSpace.Reclaim(connection);
    }

    protected override async Task<IReadOnlyList<StoredResult>> ListNewestAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var list = Command(connection, $"""
            SELECT {Summary} FROM (
              SELECT {Summary}, trained_at_ms,
                     ROW_NUMBER() OVER (PARTITION BY repo_url, ref {Newest}) AS age
              FROM results)
            WHERE age = 1 ORDER BY trained_at_ms DESC, repo_url DESC, ref DESC;
            """);
        return await ReadSummariesAsync(list, ct);
    }

    protected override async Task<StoredResult?> FindSummaryAsync(string repoUrl, string? commitSha, string? gitRef, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var find = Command(connection, $"""
            SELECT {Summary} FROM results WHERE repo_url = $repo
              {(commitSha is null ? "" : "AND commit_sha = $commit")} {(gitRef is null ? "" : "AND ref = $ref")}
            {Newest} LIMIT 1;
            """);
        find.Parameters.AddWithValue("$repo", repoUrl);
        if (commitSha is not null) find.Parameters.AddWithValue("$commit", commitSha);
        if (gitRef is not null) find.Parameters.AddWithValue("$ref", gitRef);
        return (await ReadSummariesAsync(find, ct)).SingleOrDefault();
    }

    protected override async Task<byte[]?> ReadAsync(string repoUrl, string gitRef, string commitSha, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // One read transaction: the row found is the row read, whatever a writer commits meanwhile.
        using var transaction = connection.BeginTransaction(deferred: true);
        long rowId, length;
        await using (var find = Command(connection, "SELECT rowid, length(bundle) FROM results WHERE repo_url = $repo AND ref = $ref AND commit_sha = $commit;"))
        {
            find.Parameters.AddWithValue("$repo", repoUrl);
            find.Parameters.AddWithValue("$ref", gitRef);
            find.Parameters.AddWithValue("$commit", commitSha);
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            rowId = reader.GetInt64(0);
            length = reader.GetInt64(1);
        }
        var bytes = new byte[length];
        await using (var blob = new SqliteBlob(connection, "results", "bundle", rowId, readOnly: true))
            await blob.ReadExactlyAsync(bytes, ct);
        await transaction.CommitAsync(ct);
        return bytes;
    }

    protected override async Task<bool> RemoveAsync(string repoUrl, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var delete = Command(connection, "DELETE FROM results WHERE repo_url = $repo;");
        delete.Parameters.AddWithValue("$repo", repoUrl);
        if (await delete.ExecuteNonQueryAsync(ct) == 0) return false;
        Pharos.Persistence.Sqlite.SqliteFileSpace.Reclaim(connection);
        return true;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Per connection: a commit is on disk (fsynced) before the put returns, as the journal's is.
        Execute(connection, "PRAGMA synchronous=FULL;");
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    /// <summary>A results table written by a build before refs: it has no ref column.</summary>
    private static bool HasTableWithoutRef(SqliteConnection connection)
    {
        using var columns = Command(connection, "SELECT name FROM pragma_table_info('results');");
        using var reader = columns.ExecuteReader();
        var any = false;
        while (reader.Read())
        {
            any = true;
            if (reader.GetString(0) == "ref") return false;
        }
        return any;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private static async Task<IReadOnlyList<StoredResult>> ReadSummariesAsync(SqliteCommand command, CancellationToken ct)
    {
        var results = new List<StoredResult>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            results.Add(new StoredResult(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), reader.GetDouble(7),
                reader.GetString(8) is { Length: > 0 } gitRef ? gitRef : null));
        return results;
    }
}
