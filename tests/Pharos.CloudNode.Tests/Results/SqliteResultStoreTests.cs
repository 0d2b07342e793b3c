using Microsoft.Data.Sqlite;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.Testing.Results;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>The result store contract on a real SQLite file.</summary>
public sealed class SqliteResultStoreTests : ResultStoreContract, IDisposable
{
    private readonly string _dataDir = CloudNodeHost.NewDataDir();

    protected override Task<ResultStore> OpenAsync(int keep = 1, ResultCache? cache = null) =>
        Task.FromResult<ResultStore>(new SqliteResultStore(_dataDir, keep, cache ?? new ResultCache()));

    [Fact]
    public async Task The_file_is_results_db_under_the_data_directory_in_wal_mode()
    {
        var store = (SqliteResultStore)await OpenAsync();
        Assert.Equal(Path.Combine(_dataDir, "results.db"), store.Path);
        await using var connection = new SqliteConnection($"Data Source={store.Path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_results_db_written_before_refs_is_migrated_and_its_rows_are_the_default_branch_s()
    {
        // The table exactly as the build before refs made it, with one result in it.
        const string repo = "https://github.com/o/legacy";
        var legacy = ResultSamples.Bundle(repo, "old1", "t-old", minutes: 0, seed: 4);
        Directory.CreateDirectory(_dataDir);
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "results.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE results (
                  repo_url TEXT NOT NULL, commit_sha TEXT NOT NULL, task_id TEXT NOT NULL, trained_at TEXT NOT NULL,
                  trained_at_ms INTEGER NOT NULL, files INTEGER NOT NULL, edges INTEGER NOT NULL, dims INTEGER NOT NULL,
                  final_loss REAL NOT NULL, bundle BLOB NOT NULL, PRIMARY KEY (repo_url, commit_sha));
                CREATE INDEX results_newest ON results (repo_url, trained_at_ms DESC, commit_sha DESC);
                INSERT INTO results VALUES ($repo, 'old1', 't-old', '2026-12-04T12:00:00.0000000+00:00', $ms, 5, 4, 8, 0.5, $bundle);
                """;
            command.Parameters.AddWithValue("$repo", repo);
            command.Parameters.AddWithValue("$ms", legacy.Header.TrainedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$bundle", legacy.ToBytes());
            await command.ExecuteNonQueryAsync();
        }

        var store = await OpenAsync(keep: 1);
        var listed = Assert.Single(await store.ListAsync());
        Assert.Equal(StoredResult.Of(legacy.Header), listed);
        Assert.Null(listed.Ref);
        Assert.Equal(legacy.Vectors, (await store.GetAsync(repo, "old1", ResultRefs.DefaultBranch))?.Vectors);

        // The same commit under a tag is a row of its own now; the migrated one is still the default branch's.
        await store.PutAsync(ResultSamples.Bundle(repo, "old1", "t-tag", minutes: 1, gitRef: "v1.0").ToBytes());
        Assert.Equal([("t-tag", "v1.0"), ("t-old", null)], (await store.ListAsync()).Select(r => (r.TaskId, r.Ref)));
        // Opened again: nothing to migrate, nothing lost.
        Assert.Equal(2, (await (await OpenAsync(keep: 1)).ListAsync()).Count);
        await using var check = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "results.db")};Pooling=False");
        await check.OpenAsync();
        await using var tables = check.CreateCommand();
        tables.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table';";
        Assert.Equal("results", (string?)await tables.ExecuteScalarAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        CloudNodeHost.TryDelete(_dataDir);
    }
}
