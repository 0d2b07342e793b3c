using Akka.Configuration;

namespace Pharos.Persistence.Sqlite;

public static class SqlitePersistence
{
    /// <summary>This plugin's reference.conf: the plugins' classes and defaults.</summary>
    public static Config DefaultConfig() =>
        ConfigurationFactory.FromResource<SqliteDatabase>("Pharos.Persistence.Sqlite.reference.conf");
}
