namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>The shared journal cases on SQLite, fresh files per test, the default replay page (1000 events per query).</summary>
public sealed class JournalConformanceTests(ITestOutputHelper output)
    : JournalConformanceSpec<SqliteStorage>(new SqliteStorage(replayPageSize: 1000), output, SqliteSpec.SystemName);

/// <summary>The same cases with pages of 2 events, so that every bound and count limit crosses page boundaries.</summary>
public sealed class JournalConformanceSmallPageTests(ITestOutputHelper output)
    : JournalConformanceSpec<SqliteStorage>(new SqliteStorage(replayPageSize: 2), output, SqliteSpec.SystemName);
