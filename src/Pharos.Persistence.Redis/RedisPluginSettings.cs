using Akka.Configuration;

namespace Pharos.Persistence.Redis;

/// <summary>One plugin's settings (see reference.conf for what each means).</summary>
public sealed record RedisPluginSettings(string ConfigurationString, int Database, string KeyPrefix, int PageSize)
{
    public static RedisPluginSettings From(Config config, string pageSizeKey) => new(
        config.GetString("configuration-string", ""),
        config.GetInt("database", -1),
        config.GetString("key-prefix", ""),
        Math.Max(1, config.GetInt(pageSizeKey, 100)));

    // The configuration string may hold a password: never print it.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Database = {Database}, KeyPrefix = {KeyPrefix}, PageSize = {PageSize}");
        return true;
    }
}
