namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>The shared persistent actor cases on SQLite, across actor systems on the same files included.</summary>
public sealed class PersistentActorTests(ITestOutputHelper output)
    : PersistentActorSpec<SqliteStorage>(new SqliteStorage(), output, SqliteSpec.SystemName);
