using System.Text;
using Akka.Util;

namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>An event of an older release, written by Akka's default serializer for its type.</summary>
public sealed record LegacyEvent(string Name, int Count);

/// <summary>
/// Files Akka.Persistence.Sql wrote (its own files, rows put there with plain SQL before the plugins start): the plugins
/// read them as they are, the legacy rows without a serializer id included, and write on after them.
/// </summary>
public sealed class AkkaPersistenceSqlFileTests(ITestOutputHelper output) : SqliteSpec(output)
{
    private static readonly long Created = new DateTime(2024, 6, 1, 8, 30, 0, DateTimeKind.Utc).Ticks;

    [Fact]
    public void Replays_rows_Akka_Persistence_Sql_wrote_legacy_ones_included_and_writes_on_after_them()
    {
        AkkaPersistenceSqlFiles.EmptyJournalAt(Storage.JournalFile);
        // The legacy format: no serializer id, the payload's type as manifest (assembly-qualified, or Akka's short form).
        InsertJournalRow(Pid, 1, Legacy(new LegacyEvent("first", 1)), typeof(LegacyEvent).AssemblyQualifiedName, null);
        InsertJournalRow(Pid, 2, Legacy("second"), typeof(string).TypeQualifiedName(), null);
        // The current format: the serializer's id and manifest, and a tag.
        var ordering = InsertJournalRow(Pid, 3, Encoding.UTF8.GetBytes("third"), "ev.v7", 7_345_002);
        SqliteStorage.Execute(Storage.JournalFile,
            "INSERT INTO tags (ordering_id, tag, sequence_nr, persistence_id) VALUES ($ordering, 'blue', 3, $pid)",
            ("$ordering", ordering), ("$pid", Pid));
        // Events Akka.Persistence.Sql deleted: marked, the highest kept.
        var other = Pid + "-other";
        InsertJournalRow(other, 1, Legacy("gone"), typeof(string).TypeQualifiedName(), null, deleted: true);
        InsertJournalRow(other, 2, Legacy("kept"), typeof(string).TypeQualifiedName(), null);
        var schemaBefore = SqliteStorage.Query(Storage.JournalFile, "SELECT type, name, sql FROM sqlite_master ORDER BY name");

        var (events, highest) = ReplayAll();
        Assert.Equal(new object[] { new LegacyEvent("first", 1), "second", new ManifestedEvent("third", 7) },
            events.Select(e => e.Payload));
        Assert.Equal(new long[] { 1, 2, 3 }, events.Select(e => e.SequenceNr));
        Assert.All(events, e => Assert.Equal("legacy-writer", e.WriterGuid));
        Assert.All(events, e => Assert.Equal(Created, e.Timestamp));
        Assert.Equal(3, highest);
        (events, highest) = ReplayAll(other);
        Assert.Equal(new object[] { "kept" }, events.Select(e => e.Payload));
        Assert.Equal(2, highest);

        // The plugin's IF NOT EXISTS left Akka.Persistence.Sql's tables as they were.
        Assert.Equal(schemaBefore, SqliteStorage.Query(Storage.JournalFile, "SELECT type, name, sql FROM sqlite_master ORDER BY name"));

        WriteAndConfirm(new AtomicWrite(Event("fourth", 4)));
        (events, highest) = ReplayAll();
        Assert.Equal(new object[] { new LegacyEvent("first", 1), "second", new ManifestedEvent("third", 7), "fourth" },
            events.Select(e => e.Payload));
        Assert.Equal(4, highest);
        Assert.True(Storage.ReadJournalRows(Pid)[3].Ordering > ordering);
    }

    [Fact]
    public void Loads_snapshots_Akka_Persistence_Sql_wrote_legacy_ones_included()
    {
        AkkaPersistenceSqlFiles.EmptySnapshotsAt(Storage.SnapshotFile);
        InsertSnapshotRow(Pid, 5, Legacy(new LegacyEvent("state", 5)), typeof(LegacyEvent).AssemblyQualifiedName, null);
        var current = Pid + "-current";
        InsertSnapshotRow(current, 7, Encoding.UTF8.GetBytes("state"), "ev.v2", 7_345_002);

        var probe = CreateTestProbe();
        SnapshotStore.Tell(new LoadSnapshot(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        var legacy = probe.ExpectMsg<LoadSnapshotResult>().Snapshot;
        Assert.NotNull(legacy);
        Assert.Equal(new LegacyEvent("state", 5), legacy.Snapshot);
        Assert.Equal(new SnapshotMetadata(Pid, 5, new DateTime(Created, DateTimeKind.Utc)), legacy.Metadata);

        SnapshotStore.Tell(new LoadSnapshot(current, SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        Assert.Equal(new ManifestedEvent("state", 2), probe.ExpectMsg<LoadSnapshotResult>().Snapshot?.Snapshot);
    }

    /// <summary>The payload as the legacy rows hold it: the bytes of Akka's serializer for its type.</summary>
    private byte[] Legacy(object payload) => Sys.Serialization.FindSerializerForType(payload.GetType()).ToBinary(payload);

    private long InsertJournalRow(string pid, long sequenceNr, byte[] message, string? manifest, int? identifier,
        bool deleted = false) =>
        (long)SqliteStorage.Query(Storage.JournalFile, """
            INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
            VALUES ($created, $deleted, $pid, $seq, $message, $manifest, $identifier, 'legacy-writer') RETURNING ordering
            """, ("$created", Created), ("$deleted", deleted), ("$pid", pid), ("$seq", sequenceNr), ("$message", message),
            ("$manifest", manifest), ("$identifier", identifier))[0][0]!;

    private void InsertSnapshotRow(string pid, long sequenceNr, byte[] snapshot, string? manifest, int? serializerId) =>
        SqliteStorage.Execute(Storage.SnapshotFile, """
            INSERT INTO snapshot (persistence_id, sequence_number, created, snapshot, manifest, serializer_id)
            VALUES ($pid, $seq, $created, $snapshot, $manifest, $serializer)
            """, ("$pid", pid), ("$seq", sequenceNr), ("$created", Created), ("$snapshot", snapshot), ("$manifest", manifest),
            ("$serializer", serializerId));
}
