using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Microsoft.Data.Sqlite;

namespace Pharos.Persistence.Sqlite.Journal;

/// <summary>
/// Events as rows of Akka.Persistence.Sql's <c>journal</c> table (its <c>tags</c> table for tagged events): the payload
/// serialized by its own serializer, with that serializer's id and manifest, as that plugin writes them. Each call's
/// writes are one transaction; recovery reads <c>replay-page-size</c> rows per query; deleting events marks the
/// highest deleted row and removes the rest, so the highest sequence number stays, and gives their pages back to the
/// file system.
/// </summary>
public sealed class SqliteJournal : AsyncWriteJournal
{
    public const string PluginId = "akka.persistence.journal.sqlite";

    // Akka.Persistence.Sql's DDL for SQLite, so that a file either plugin created is the same file.
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS [journal]
        (
            [ordering]        INTEGER        NOT NULL PRIMARY KEY AUTOINCREMENT,
            [created]         INTEGER        NOT NULL,
            [deleted]         Bit            NOT NULL,
            [persistence_id]  NVarChar(255)  NOT NULL,
            [sequence_number] INTEGER        NOT NULL,
            [message]         VarBinary      NOT NULL,
            [manifest]        NVarChar(500)      NULL,
            [identifier]      INTEGER            NULL,
            [writer_uuid]     NVarChar(128)      NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS journal_uq ON journal (persistence_id, sequence_number);
        CREATE INDEX IF NOT EXISTS journal_created_idx ON journal (created);
        CREATE INDEX IF NOT EXISTS journal_sequence_number_idx ON journal (sequence_number);
        CREATE TABLE IF NOT EXISTS [tags]
        (
            [ordering_id]    INTEGER       NOT NULL,
            [tag]            NVarChar(64)  NOT NULL,
            [sequence_nr]    INTEGER       NOT NULL,
            [persistence_id] NVarChar(255) NOT NULL,
            CONSTRAINT [PK_tags] PRIMARY KEY ([ordering_id], [tag])
        );
        CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);
        CREATE INDEX IF NOT EXISTS tags_tag_idx ON tags (tag);
        """;

    private readonly SqliteDatabase _database;
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly int _pageSize;

    public SqliteJournal(Config config)
    {
        config = config.WithFallback(SqlitePersistence.DefaultConfig().GetConfig(PluginId));
        _database = new SqliteDatabase(config, PluginId, Schema);
        _serialization = Context.System.Serialization;
        _pageSize = Math.Max(1, config.GetInt("replay-page-size"));
    }

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        var writes = messages.ToList();
        var rejections = new Exception?[writes.Count];
        var rows = new List<Row>();
        var now = DateTime.UtcNow.Ticks;
        for (var i = 0; i < writes.Count; i++)
        {
            try
            {
                rows.AddRange(((IImmutableList<IPersistentRepresentation>)writes[i].Payload).Select(repr => Serialize(repr, now)).ToList());
            }
            catch (Exception e)
            {
                // Not serializable: this write is rejected (the actor is told and goes on) and nothing of it written.
                rejections[i] = e;
            }
        }
        // One transaction for the whole call: one fsync however many writes it carries. A failure fails the call, and
        // every writer in it hears a persist failure, as the contract asks.
        if (rows.Count > 0) await _database.WriteAsync((connection, transaction) => Insert(connection, transaction, rows), cancellationToken).ConfigureAwait(false);
        return rejections.Any(r => r is not null) ? rejections.ToImmutableList() : null!;
    }

    private sealed record Row(IPersistentRepresentation Repr, StoredPayload Payload, long Created, IImmutableSet<string> Tags);

    private Row Serialize(IPersistentRepresentation repr, long now)
    {
        var (payload, tags) = repr.Payload is Tagged tagged ? (tagged.Payload, tagged.Tags) : (repr.Payload, ImmutableHashSet<string>.Empty);
        return new Row(repr, StoredPayload.Of(_serialization, payload), repr.Timestamp == 0 ? now : repr.Timestamp, tags);
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, List<Row> rows)
    {
        using var insert = SqliteDatabase.Command(connection, """
            INSERT INTO journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid)
            VALUES ($created, 0, $pid, $seq, $message, $manifest, $identifier, $writer) RETURNING ordering
            """, ("$created", 0L), ("$pid", ""), ("$seq", 0L), ("$message", Array.Empty<byte>()), ("$manifest", ""),
            ("$identifier", 0), ("$writer", ""));
        insert.Transaction = transaction;
        using var tag = SqliteDatabase.Command(connection,
            "INSERT INTO tags (ordering_id, tag, sequence_nr, persistence_id) VALUES ($ordering, $tag, $seq, $pid)",
            ("$ordering", 0L), ("$tag", ""), ("$seq", 0L), ("$pid", ""));
        tag.Transaction = transaction;
        foreach (var row in rows)
        {
            insert.Parameters["$created"].Value = row.Created;
            insert.Parameters["$pid"].Value = row.Repr.PersistenceId;
            insert.Parameters["$seq"].Value = row.Repr.SequenceNr;
            insert.Parameters["$message"].Value = row.Payload.Bytes;
            insert.Parameters["$manifest"].Value = row.Payload.Manifest;
            insert.Parameters["$identifier"].Value = row.Payload.SerializerId;
            insert.Parameters["$writer"].Value = row.Repr.WriterGuid;
            var ordering = (long)insert.ExecuteScalar()!;
            foreach (var name in row.Tags)
            {
                tag.Parameters["$ordering"].Value = ordering;
                tag.Parameters["$tag"].Value = name;
                tag.Parameters["$seq"].Value = row.Repr.SequenceNr;
                tag.Parameters["$pid"].Value = row.Repr.PersistenceId;
                tag.ExecuteNonQuery();
            }
        }
    }

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback) => Task.Run(() =>
    {
        using var connection = _database.Open();
        using var select = SqliteDatabase.Command(connection, """
            SELECT sequence_number, message, manifest, identifier, writer_uuid, created FROM journal
            WHERE persistence_id = $pid AND sequence_number >= $from AND sequence_number <= $to AND deleted = 0
            ORDER BY sequence_number LIMIT $take
            """, ("$pid", persistenceId), ("$from", 0L), ("$to", toSequenceNr), ("$take", 0L));
        var next = Math.Max(1, fromSequenceNr);
        var delivered = 0L;
        // Paged by sequence number, not by offset: each page starts after the last event delivered.
        while (delivered < max && next <= toSequenceNr)
        {
            var take = Math.Min(_pageSize, max - delivered);
            select.Parameters["$from"].Value = next;
            select.Parameters["$take"].Value = take;
            var read = 0L;
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    var sequenceNr = reader.GetInt64(0);
                    var manifest = reader.IsDBNull(2) ? "" : reader.GetString(2);
                    var payload = StoredPayload.Read(_serialization, (byte[])reader[1], manifest, reader.IsDBNull(3) ? null : reader.GetInt32(3));
                    recoveryCallback(new Persistent(payload, sequenceNr, persistenceId, manifest, false, ActorRefs.NoSender,
                        reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(5)));
                    delivered++;
                    read++;
                    next = sequenceNr + 1;
                }
            }
            if (read < take) break;
        }
    });

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var connection = _database.Open();
            // Deleted rows count: the highest deleted one is kept for this.
            using var max = SqliteDatabase.Command(connection,
                "SELECT MAX(sequence_number) FROM journal WHERE persistence_id = $pid AND sequence_number >= $from",
                ("$pid", persistenceId), ("$from", fromSequenceNr));
            return max.ExecuteScalar() is long highest ? highest : 0L;
        }, cancellationToken);

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            using var find = SqliteDatabase.Command(connection,
                "SELECT MAX(sequence_number) FROM journal WHERE persistence_id = $pid AND sequence_number <= $to",
                ("$pid", persistenceId), ("$to", toSequenceNr));
            find.Transaction = transaction;
            if (find.ExecuteScalar() is not long last) return;
            // The last deleted row stays, marked, so that the highest sequence number is never reused.
            using var delete = SqliteDatabase.Command(connection, """
                UPDATE journal SET deleted = 1 WHERE persistence_id = $pid AND sequence_number = $last;
                DELETE FROM tags WHERE persistence_id = $pid AND sequence_nr < $last;
                DELETE FROM journal WHERE persistence_id = $pid AND sequence_number < $last;
                """, ("$pid", persistenceId), ("$last", last));
            delete.Transaction = transaction;
            delete.ExecuteNonQuery();
        }, cancellationToken, reclaim: true);
}
