using Akka.Hosting;
using Pharos.Persistence.Sqlite.Journal;
using Pharos.Persistence.Sqlite.Snapshot;

namespace Pharos.Persistence.Sqlite.Hosting;

public static class SqlitePersistenceHosting
{
    /// <summary>
    /// The SQLite journal and snapshot store as the default plugins, started with the actor system (their tables are
    /// ready by the time a persistent actor recovers). Two connection strings: two files keep a snapshot being saved
    /// from holding up the next event.
    /// </summary>
    public static AkkaConfigurationBuilder WithSqlitePersistence(this AkkaConfigurationBuilder builder, string journalConnectionString,
        string snapshotConnectionString)
    {
        builder.AddHocon($$"""
            akka.persistence {
              journal.plugin = "{{SqliteJournal.PluginId}}"
              snapshot-store.plugin = "{{SqliteSnapshotStore.PluginId}}"
              journal.auto-start-journals = ["{{SqliteJournal.PluginId}}"]
              snapshot-store.auto-start-snapshot-stores = ["{{SqliteSnapshotStore.PluginId}}"]
              journal.sqlite.connection-string = {{Quoted(journalConnectionString)}}
              snapshot-store.sqlite.connection-string = {{Quoted(snapshotConnectionString)}}
            }
            """, HoconAddMode.Prepend);
        builder.AddHocon(SqlitePersistence.DefaultConfig(), HoconAddMode.Append);
        return builder;
    }

    private static string Quoted(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
