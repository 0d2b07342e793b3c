namespace Pharos.Persistence.Sqlite.Tests.Support;

/// <summary>
/// Akka.Persistence.Sql's SQLite DDL, the oracle the plugin's schema is checked against: the statements as they read in
/// <c>sqlite_master</c> of a data directory Akka.Persistence.Sql 1.5.73 (linq2db, provider SQLite.MS) created for the
/// cloud node (whitespace aside), journal and tags in one file, snapshots in another.
/// </summary>
public static class AkkaPersistenceSqlSchema
{
    public const string Journal = """
        CREATE TABLE [journal]
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
        CREATE UNIQUE INDEX journal_uq ON journal (persistence_id, sequence_number);
        CREATE INDEX journal_created_idx ON journal (created);
        CREATE INDEX journal_sequence_number_idx ON journal (sequence_number);
        CREATE TABLE [tags]
        (
            [ordering_id]    INTEGER       NOT NULL,
            [tag]            NVarChar(64)  NOT NULL,
            [sequence_nr]    INTEGER       NOT NULL,
            [persistence_id] NVarChar(255) NOT NULL,

            CONSTRAINT [PK_tags] PRIMARY KEY ([ordering_id], [tag])
        );
        CREATE INDEX tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);
        CREATE INDEX tags_tag_idx ON tags (tag);
        """;

    public const string Snapshot = """
        CREATE TABLE [snapshot]
        (
            [persistence_id]  NVarChar(255) NOT NULL,
            [sequence_number] INTEGER       NOT NULL,
            [created]         INTEGER       NOT NULL,
            [snapshot]        VarBinary         NULL,
            [manifest]        NVarChar(500)     NULL,
            [serializer_id]   INTEGER           NULL,

            CONSTRAINT [PK_snapshot] PRIMARY KEY ([persistence_id], [sequence_number])
        );
        CREATE INDEX snapshot_sequence_number_idx ON snapshot (sequence_number);
        CREATE INDEX snapshot_created_idx ON snapshot (created);
        """;
}
