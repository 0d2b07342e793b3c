using Akka.Configuration;
using Pharos.Persistence.Sqlite;
using Pharos.Persistence.Sqlite.Journal;
using Pharos.Persistence.Sqlite.Snapshot;

namespace Pharos.Persistence.Sqlite.Tests.Support;

/// <summary>A row of the <c>journal</c> table, as stored.</summary>
public sealed record JournalRow(long Ordering, long Created, long Deleted, string PersistenceId, long SequenceNumber,
    byte[] Message, string? Manifest, long? Identifier, string? WriterUuid);

/// <summary>A row of the <c>tags</c> table, as stored.</summary>
public sealed record TagRow(long OrderingId, string Tag, long SequenceNr, string PersistenceId);

/// <summary>A row of the <c>snapshot</c> table, as stored.</summary>
public sealed record SnapshotRow(string PersistenceId, long SequenceNumber, long Created, byte[]? Snapshot, string? Manifest,
    long? SerializerId);

/// <summary>
/// The SQLite plugins on two files of a temporary directory of their own (events and snapshots apart, as the cloud node
/// has them), in the plugins' default WAL mode, as the cloud node runs them. The test reads the
/// files with connections of its own; the directory is deleted on dispose.
/// </summary>
public sealed class SqliteStorage : PluginStorage
{
    private const string JournalFileName = "journal.db";
    private const string SnapshotFileName = "snapshots.db";

    private readonly int _replayPageSize;

    public SqliteStorage(int replayPageSize = 1000) : this(NewDirectory(), replayPageSize)
    {
    }

    private SqliteStorage(string directory, int replayPageSize)
    {
        Directory = directory;
        _replayPageSize = replayPageSize;
    }

    public string Directory { get; }
    public string JournalFile => Path.Combine(Directory, JournalFileName);
    public string SnapshotFile => Path.Combine(Directory, SnapshotFileName);

    /// <summary>What the plugins open: the cloud node's form (pooled, a write waits on a lock at most 3 s).</summary>
    public string JournalConnectionString => ConnectionString(JournalFile);
    public string SnapshotConnectionString => ConnectionString(SnapshotFile);

    private static string ConnectionString(string file) => $"Data Source={file};Pooling=True;Default Timeout=3";

    public override Config PluginConfig => ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal.plugin = "{{SqliteJournal.PluginId}}"
              snapshot-store.plugin = "{{SqliteSnapshotStore.PluginId}}"
              journal.sqlite {
                connection-string = "{{JournalConnectionString}}"
                replay-page-size = {{_replayPageSize}}
              }
              snapshot-store.sqlite.connection-string = "{{SnapshotConnectionString}}"
            }
            """)
        // The plugin's own reference.conf: its classes and defaults, as WithSqlitePersistence adds them.
        .WithFallback(SqlitePersistence.DefaultConfig());

    /// <summary>
    /// The files as a machine killed right now would leave them on disk: a byte copy of each database and its
    /// write-ahead log, taken while the plugins still have them open, into a storage of its own. The WAL index (-shm)
    /// is left behind: SQLite rebuilds it from the log, as after a crash.
    /// </summary>
    public SqliteStorage CrashImage()
    {
        var image = new SqliteStorage(NewDirectory(), _replayPageSize);
        foreach (var name in new[] { JournalFileName, SnapshotFileName })
            foreach (var suffix in new[] { "", "-wal" })
            {
                var source = Path.Combine(Directory, name + suffix);
                if (File.Exists(source)) File.Copy(source, Path.Combine(image.Directory, name + suffix));
            }
        return image;
    }

    /// <summary>A connection of the test's own to <paramref name="file"/>, not pooled: closed when disposed.</summary>
    public static SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/> on <paramref name="file"/>, with parameters named as in it ($name).</summary>
    public static void Execute(string file, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open(file);
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    /// <summary>The rows <paramref name="sql"/> reads from <paramref name="file"/>, each as its columns' values (DBNull as null).</summary>
    public static List<object?[]> Query(string file, string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open(file);
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Every row of <paramref name="persistenceId"/> in <c>journal</c>, deleted ones included, by sequence number.</summary>
    public List<JournalRow> ReadJournalRows(string persistenceId) =>
        Query(JournalFile, """
            SELECT ordering, created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid
            FROM journal WHERE persistence_id = $pid ORDER BY sequence_number
            """, ("$pid", persistenceId))
        .Select(r => new JournalRow((long)r[0]!, (long)r[1]!, (long)r[2]!, (string)r[3]!, (long)r[4]!, (byte[])r[5]!,
            (string?)r[6], (long?)r[7], (string?)r[8]))
        .ToList();

    /// <summary>Every row of <paramref name="persistenceId"/> in <c>tags</c>, by sequence number and tag.</summary>
    public List<TagRow> ReadTagRows(string persistenceId) =>
        Query(JournalFile, """
            SELECT ordering_id, tag, sequence_nr, persistence_id FROM tags WHERE persistence_id = $pid
            ORDER BY sequence_nr, tag
            """, ("$pid", persistenceId))
        .Select(r => new TagRow((long)r[0]!, (string)r[1]!, (long)r[2]!, (string)r[3]!))
        .ToList();

    /// <summary>Every row of <paramref name="persistenceId"/> in <c>snapshot</c>, by sequence number.</summary>
    public List<SnapshotRow> ReadSnapshotRows(string persistenceId) =>
        Query(SnapshotFile, """
            SELECT persistence_id, sequence_number, created, snapshot, manifest, serializer_id FROM snapshot
            WHERE persistence_id = $pid ORDER BY sequence_number
            """, ("$pid", persistenceId))
        .Select(r => new SnapshotRow((string)r[0]!, (long)r[1]!, (long)r[2]!, (byte[]?)r[3], (string?)r[4], (long?)r[5]))
        .ToList();

    public override Task<IReadOnlyList<IPersistentRepresentation>> ReadEventsAsync(string persistenceId,
        Akka.Serialization.Serialization serialization)
    {
        IReadOnlyList<IPersistentRepresentation> events = ReadJournalRows(persistenceId)
            .Where(row => row.Deleted == 0)
            .Select(row => (IPersistentRepresentation)new Persistent(
                serialization.Deserialize(row.Message, (int)row.Identifier!.Value, row.Manifest ?? ""), row.SequenceNumber,
                row.PersistenceId, row.Manifest ?? "", false, ActorRefs.NoSender, row.WriterUuid, row.Created))
            .ToList();
        return Task.FromResult(events);
    }

    public override Task<long?> ReadHighestSequenceNrAsync(string persistenceId) =>
        Task.FromResult(ReadJournalRows(persistenceId).Select(row => (long?)row.SequenceNumber).Max());

    public override Task<IReadOnlyList<long>> ReadSnapshotSequenceNrsAsync(string persistenceId) =>
        Task.FromResult<IReadOnlyList<long>>(ReadSnapshotRows(persistenceId).Select(row => row.SequenceNumber).ToList());

    public override Task CorruptSnapshotAsync(string persistenceId, long sequenceNr)
    {
        // A serializer nobody has: the bytes are there, and no one can read them.
        Execute(SnapshotFile, "UPDATE snapshot SET serializer_id = 987654 WHERE persistence_id = $pid AND sequence_number = $seq",
            ("$pid", persistenceId), ("$seq", sequenceNr));
        return Task.CompletedTask;
    }

    private static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "pharos-sqlite-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        return directory;
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        // The plugins' pooled connections keep the files open; the actor system is down, so nothing uses them now.
        SqliteConnection.ClearPool(new SqliteConnection(JournalConnectionString));
        SqliteConnection.ClearPool(new SqliteConnection(SnapshotConnectionString));
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary directory: nothing a later test reads.
        }
    }
}
