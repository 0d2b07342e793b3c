namespace Pharos.Actors.Configuration;

/// <summary>Where a node keeps what outlives it: the data directory (SQLite journal, work, embeddings) or Redis.</summary>
public sealed record StorageSettings
{
    public static readonly SettingsTable<StorageSettings> Table = new(new StorageSettings())
    {
        { Setting.Text("PHAROS_DATA_DIR", "DataDir", "./data"), (o, v) => o with { DataDir = v } },
        { Setting.Text("PHAROS_REDIS", "Redis"), (o, v) => o with { Redis = v } },
        { Setting.Text("PHAROS_REDIS_KEY_PREFIX", "RedisKeyPrefix", ""), (o, v) => o with { RedisKeyPrefix = v } },
    };

    public static StorageSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private StorageSettings() { }

    public string DataDir { get; init; } = null!;
    /// <summary>The journal's Redis (a StackExchange.Redis string or redis:// URL), or null for SQLite under <see cref="DataDir"/>.</summary>
    public string? Redis { get; init; }
    public string RedisKeyPrefix { get; init; } = null!;

    public string DataDirFull => Path.GetFullPath(DataDir);

    /// <summary>The Redis string may hold a password: the printed form says only whether it is set.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"DataDir = {DataDir}, Redis = {(Redis is null ? "off" : "on")}, RedisKeyPrefix = {RedisKeyPrefix}");
        return true;
    }
}
