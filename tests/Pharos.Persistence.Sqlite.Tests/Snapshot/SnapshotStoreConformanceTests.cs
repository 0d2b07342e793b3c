namespace Pharos.Persistence.Sqlite.Tests.Snapshot;

/// <summary>The shared snapshot store cases on SQLite, fresh files per test.</summary>
public sealed class SnapshotStoreConformanceTests(ITestOutputHelper output)
    : SnapshotStoreConformanceSpec<SqliteStorage>(new SqliteStorage(), output, SqliteSpec.SystemName);
