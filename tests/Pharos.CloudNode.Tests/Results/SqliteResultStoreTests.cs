using Microsoft.Data.Sqlite;
using Pharos.CloudNode.ResultStorage;

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

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        CloudNodeHost.TryDelete(_dataDir);
    }
}
