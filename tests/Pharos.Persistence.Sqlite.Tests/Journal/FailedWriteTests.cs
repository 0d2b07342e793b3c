using Akka.Persistence.Journal;

namespace Pharos.Persistence.Sqlite.Tests.Journal;

/// <summary>A call's writes are one transaction: one that fails half-way leaves nothing of that call behind.</summary>
public sealed class FailedWriteTests(ITestOutputHelper output) : SqliteSpec(output)
{
    [Fact]
    public void A_call_whose_second_atomic_write_breaks_the_unique_index_writes_nothing_and_its_writer_hears_the_failure()
    {
        WriteAndConfirm(new AtomicWrite(Event("a-1", 1)));

        // Event 2 (tagged) inserts fine; the second atomic write then reuses sequence number 1.
        var writer = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[]
        {
            new AtomicWrite(Event(new Tagged("a-2", new[] { "blue" }), 2)),
            new AtomicWrite(Event("a-1 again", 1)),
        }, writer.Ref, ActorInstanceId));
        var failed = writer.ExpectMsg<WriteMessagesFailed>();
        // SQLITE_CONSTRAINT: the unique index on (persistence_id, sequence_number).
        Assert.Equal(19, Assert.IsType<SqliteException>(failed.Cause.GetBaseException()).SqliteErrorCode);
        writer.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 2);
        writer.ExpectMsg<WriteMessageFailure>(m => m.Persistent.SequenceNr == 1);

        Assert.Equal(new[] { (1L, (object)"a-1") }, Storage.ReadJournalRows(Pid).Select(r => (r.SequenceNumber, Payload(r))));
        Assert.Empty(Storage.ReadTagRows(Pid));

        // The journal goes on: event 2 written again is accepted.
        WriteAndConfirm(new AtomicWrite(Event("a-2", 2)));
        var (events, highest) = ReplayAll();
        Assert.Equal(new object[] { "a-1", "a-2" }, events.Select(e => e.Payload));
        Assert.Equal(2, highest);
    }

    private object Payload(JournalRow row) =>
        Sys.Serialization.Deserialize(row.Message, (int)row.Identifier!.Value, row.Manifest ?? "");
}
