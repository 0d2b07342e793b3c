using System.Collections.Immutable;
using System.Text;
using Akka.Persistence.Journal;

namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>The rows the journal writes, as Akka.Persistence.Sql writes them: journal, tags, and what deleting leaves.</summary>
public sealed class JournalRowTests(ITestOutputHelper output) : SqliteSpec(output)
{
    [Fact]
    public void Writes_a_row_per_event_with_its_serializer_manifest_writer_and_creation_ticks()
    {
        var before = DateTime.UtcNow.Ticks;
        WriteAndConfirm(
            new AtomicWrite(Event("a-1", 1)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(
                Event(new ManifestedEvent("caf\u00e9", 3), 2),
                Event("a-3", 3))));
        var after = DateTime.UtcNow.Ticks;

        var rows = Storage.ReadJournalRows(Pid);
        Assert.Equal(new long[] { 1, 2, 3 }, rows.Select(r => r.SequenceNumber));
        Assert.All(rows, r =>
        {
            Assert.Equal(0, r.Deleted);
            Assert.Equal(Pid, r.PersistenceId);
            Assert.Equal(WriterGuid, r.WriterUuid);
        });
        // A serializer with a string manifest: its id, its manifest, its bytes.
        Assert.Equal(7_345_002, rows[1].Identifier);
        Assert.Equal("ev.v3", rows[1].Manifest);
        Assert.Equal(Encoding.UTF8.GetBytes("caf\u00e9"), rows[1].Message);
        // A string: the serializer Akka picks for it, and that serializer reads the bytes back.
        var serializer = Sys.Serialization.FindSerializerFor("a-1");
        Assert.Equal(serializer.Identifier, rows[0].Identifier);
        Assert.Equal("a-1", Sys.Serialization.Deserialize(rows[0].Message, (int)rows[0].Identifier!.Value, rows[0].Manifest ?? ""));
        // created: DateTime ticks (UTC) of the write (Akka hands the journal events without a timestamp).
        Assert.All(rows, r => Assert.InRange(r.Created, before, after));
        Assert.Equal(rows.Select(r => r.Ordering).Order(), rows.Select(r => r.Ordering));

        // Replayed with what the row holds.
        var (events, highest) = ReplayAll();
        Assert.Equal(3, highest);
        Assert.Equal(new object[] { "a-1", new ManifestedEvent("caf\u00e9", 3), "a-3" }, events.Select(e => e.Payload));
        Assert.Equal(rows.Select(r => r.Created), events.Select(e => e.Timestamp));
        Assert.All(events, e => Assert.Equal(WriterGuid, e.WriterGuid));
    }

    [Fact]
    public void Writes_the_tags_of_a_tagged_event_into_the_tags_table_and_the_bare_event_into_the_journal()
    {
        WriteAndConfirm(
            new AtomicWrite(Event(new Tagged("t-1", new[] { "blue", "green" }), 1)),
            new AtomicWrite(Event("plain", 2)),
            new AtomicWrite(Event(new Tagged(new ManifestedEvent("t-3", 1), new[] { "blue" }), 3)));

        var rows = Storage.ReadJournalRows(Pid);
        Assert.Equal(
            new[]
            {
                new TagRow(rows[0].Ordering, "blue", 1, Pid),
                new TagRow(rows[0].Ordering, "green", 1, Pid),
                new TagRow(rows[2].Ordering, "blue", 3, Pid),
            },
            Storage.ReadTagRows(Pid));
        Assert.Equal(7_345_002, rows[2].Identifier);
        Assert.Equal("ev.v1", rows[2].Manifest);

        var (events, _) = ReplayAll();
        Assert.Equal(new object[] { "t-1", "plain", new ManifestedEvent("t-3", 1) }, events.Select(e => e.Payload));
    }

    [Fact]
    public void Deleting_to_N_marks_the_row_at_N_deleted_and_removes_the_rows_and_tags_before_it()
    {
        WriteAndConfirm(Enumerable.Range(1, 5)
            .Select(i => new AtomicWrite(Event(new Tagged("a-" + i, new[] { "all", "tag-" + i }), i)))
            .ToArray());

        DeleteTo(3);

        var rows = Storage.ReadJournalRows(Pid);
        Assert.Equal(new[] { (3L, 1L), (4L, 0L), (5L, 0L) }, rows.Select(r => (r.SequenceNumber, r.Deleted)));
        // The kept row keeps its tags, as Akka.Persistence.Sql leaves them.
        var tags = Storage.ReadTagRows(Pid);
        Assert.Equal(new[] { (3L, "all"), (3L, "tag-3"), (4L, "all"), (4L, "tag-4"), (5L, "all"), (5L, "tag-5") },
            tags.Select(t => (t.SequenceNr, t.Tag)));
        AssertNoTagWithoutItsRow();
        var (events, highest) = ReplayAll();
        Assert.Equal(new long[] { 4, 5 }, events.Select(e => e.SequenceNr));
        Assert.Equal(5, highest);

        // Deleting below what is already deleted changes nothing.
        DeleteTo(2);
        Assert.Equal(rows.Select(r => (r.Ordering, r.SequenceNumber, r.Deleted)),
            Storage.ReadJournalRows(Pid).Select(r => (r.Ordering, r.SequenceNumber, r.Deleted)));
        Assert.Equal(tags, Storage.ReadTagRows(Pid));

        // Deleting everything keeps the last row, marked, for the highest sequence number.
        DeleteTo(long.MaxValue);
        Assert.Equal(new[] { (5L, 1L) }, Storage.ReadJournalRows(Pid).Select(r => (r.SequenceNumber, r.Deleted)));
        AssertNoTagWithoutItsRow();
        (events, highest) = ReplayAll();
        Assert.Empty(events);
        Assert.Equal(5, highest);

        // And the sequence goes on after it.
        WriteAndConfirm(new AtomicWrite(Event("a-6", 6)));
        (events, highest) = ReplayAll();
        Assert.Equal(new object[] { "a-6" }, events.Select(e => e.Payload));
        Assert.Equal(6, highest);
    }

    [Fact]
    public void Replay_from_past_the_deleted_rows_answers_the_highest_sequence_number()
    {
        WriteAndConfirm(Enumerable.Range(1, 4).Select(i => new AtomicWrite(Event("a-" + i, i))).ToArray());
        DeleteTo(4);

        // As after a snapshot at 4: Akka asks for the highest sequence number from 4 on.
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(5, long.MaxValue, long.MaxValue, Pid, probe.Ref));
        probe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 4);
    }

    private void AssertNoTagWithoutItsRow() =>
        Assert.Empty(SqliteStorage.Query(Storage.JournalFile,
            "SELECT ordering_id FROM tags WHERE ordering_id NOT IN (SELECT ordering FROM journal)"));
}
