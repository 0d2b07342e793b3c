using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Pharos.Persistence.Sqlite.Snapshot;

/// <summary>
/// Snapshots as rows of Akka.Persistence.Sql's <c>snapshot</c> table: the snapshot serialized by its own serializer,
/// with that serializer's id and manifest, keyed by persistence id and sequence number (saving again at one replaces
/// it), <c>created</c> in ticks. A snapshot that cannot be read is passed over for the one before it
/// (<c>max-load-attempts</c>), as Akka's local snapshot store does.
/// </summary>
public sealed class SqliteSnapshotStore : SnapshotStore
{
    public const string PluginId = "akka.persistence.snapshot-store.sqlite";

    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS [snapshot]
        (
            [persistence_id]  NVarChar(255) NOT NULL,
            [sequence_number] INTEGER       NOT NULL,
            [created]         INTEGER       NOT NULL,
            [snapshot]        VarBinary         NULL,
            [manifest]        NVarChar(500)     NULL,
            [serializer_id]   INTEGER           NULL,
            CONSTRAINT [PK_snapshot] PRIMARY KEY ([persistence_id], [sequence_number])
        );
        CREATE INDEX IF NOT EXISTS snapshot_sequence_number_idx ON snapshot (sequence_number);
        CREATE INDEX IF NOT EXISTS snapshot_created_idx ON snapshot (created);
        """;

    // The criteria as SQL: a sequence number range and a timestamp range, newest first.
    private const string Matching = """
        persistence_id = $pid AND sequence_number >= $minSeq AND sequence_number <= $maxSeq
        AND created >= $minTicks AND created <= $maxTicks
        """;

    private readonly SqliteDatabase _database;
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly int _maxLoadAttempts;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public SqliteSnapshotStore(Config config)
    {
        config = config.WithFallback(SqlitePersistence.DefaultConfig().GetConfig(PluginId));
        _database = new SqliteDatabase(config, PluginId, Schema);
        _serialization = Context.System.Serialization;
        _maxLoadAttempts = Math.Max(1, config.GetInt("max-load-attempts"));
    }

    protected override Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var connection = _database.Open();
        using var select = SqliteDatabase.Command(connection, $"""
            SELECT sequence_number, created, snapshot, manifest, serializer_id FROM snapshot WHERE {Matching}
            ORDER BY sequence_number DESC, created DESC LIMIT $attempts
            """, [.. Parameters(persistenceId, criteria), ("$attempts", _maxLoadAttempts)]);
        using var reader = select.ExecuteReader();
        Exception? unreadable = null;
        while (reader.Read())
        {
            var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), new DateTime(reader.GetInt64(1), DateTimeKind.Utc));
            try
            {
                var snapshot = StoredPayload.Read(_serialization, (byte[])reader[2], reader.IsDBNull(3) ? "" : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4));
                return new SelectedSnapshot(metadata, snapshot);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The events after the older snapshot are still in the journal (the owner trims behind the one before).
                _log.Warning(e, "The snapshot of {0} at {1} cannot be read; trying the one before it", persistenceId, metadata.SequenceNr);
                unreadable = e;
            }
        }
        // None could be read: recovery fails rather than start from nothing, as if no snapshot had been taken.
        if (unreadable is not null) throw unreadable;
        return null;
    }, cancellationToken);

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var stored = StoredPayload.Of(_serialization, snapshot);
        return _database.WriteAsync((connection, transaction) =>
        {
            using var upsert = SqliteDatabase.Command(connection, """
                INSERT OR REPLACE INTO snapshot (persistence_id, sequence_number, created, snapshot, manifest, serializer_id)
                VALUES ($pid, $seq, $created, $snapshot, $manifest, $serializer)
                """, ("$pid", metadata.PersistenceId), ("$seq", metadata.SequenceNr), ("$created", metadata.Timestamp.Ticks),
                ("$snapshot", stored.Bytes), ("$manifest", stored.Manifest), ("$serializer", stored.SerializerId));
            upsert.Transaction = transaction;
            upsert.ExecuteNonQuery();
        }, cancellationToken);
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken) =>
        // Without a timestamp: the snapshot at that sequence number; with one, only if taken no later than it.
        DeleteAsync(metadata.PersistenceId, new SnapshotSelectionCriteria(metadata.SequenceNr,
            metadata.Timestamp == DateTime.MinValue ? DateTime.MaxValue : metadata.Timestamp, metadata.SequenceNr, DateTime.MinValue),
            cancellationToken);

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            using var delete = SqliteDatabase.Command(connection, $"DELETE FROM snapshot WHERE {Matching}", Parameters(persistenceId, criteria));
            delete.Transaction = transaction;
            delete.ExecuteNonQuery();
        }, cancellationToken, reclaim: true);

    private static (string, object?)[] Parameters(string persistenceId, SnapshotSelectionCriteria criteria) =>
    [
        ("$pid", persistenceId), ("$minSeq", criteria.MinSequenceNr), ("$maxSeq", criteria.MaxSequenceNr),
        ("$minTicks", (criteria.MinTimestamp ?? DateTime.MinValue).Ticks), ("$maxTicks", criteria.MaxTimeStamp.Ticks),
    ];
}
