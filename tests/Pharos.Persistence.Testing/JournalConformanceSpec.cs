using System.Collections.Immutable;
using Akka.TestKit;

namespace Pharos.Persistence.Testing;

/// <summary>
/// The Akka.Persistence TCK's journal cases (JournalSpec), written here because Akka.Persistence.TCK is not served:
/// the journal actor is driven with the persistence protocol messages, as the TCK does, and what the storage then holds
/// is read through <see cref="PluginStorage"/>. Each test starts with the TCK's fixture: events "a-1" … "a-5" for
/// <see cref="PluginSpec{TStorage}.Pid"/>, 1–3 as single atomic writes and 4–5 as one atomic write of two events.
/// </summary>
public abstract class JournalConformanceSpec<TStorage> : PluginSpec<TStorage>
    where TStorage : PluginStorage
{
    protected JournalConformanceSpec(TStorage storage, ITestOutputHelper output, string systemName)
        : base(storage, output, systemName)
    {
        ReceiverProbe = CreateTestProbe();
        Initialize();
    }

    /// <summary>Where replays are sent.</summary>
    protected TestProbe ReceiverProbe { get; }

    private void Initialize()
    {
        var messages = new[]
        {
            new AtomicWrite(Event("a-1", 1)),
            new AtomicWrite(Event("a-2", 2)),
            new AtomicWrite(Event("a-3", 3)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event("a-4", 4), Event("a-5", 5))),
        };
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(messages, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>(TimeSpan.FromSeconds(10));
        for (var i = 1; i <= 5; i++)
        {
            var n = i;
            probe.ExpectMsg<WriteMessageSuccess>(m =>
                m.Persistent.Payload.Equals("a-" + n) && m.Persistent.SequenceNr == n &&
                m.Persistent.PersistenceId == Pid && m.ActorInstanceId == ActorInstanceId);
        }
    }

    private bool IsReplayed(ReplayedMessage m, long seqNr) =>
        !m.Persistent.IsDeleted && m.Persistent.Payload.Equals("a-" + seqNr) && m.Persistent.PersistenceId == Pid &&
        m.Persistent.SequenceNr == seqNr && m.Persistent.WriterGuid == WriterGuid;

    protected void Replay(long from, long to, long max, string? pid = null) =>
        Journal.Tell(new ReplayMessages(from, to, max, pid ?? Pid, ReceiverProbe.Ref));

    /// <summary>Expects the fixture's events <paramref name="from"/> … <paramref name="to"/>, in order.</summary>
    protected void ExpectReplayed(long from, long to)
    {
        for (var i = from; i <= to; i++)
        {
            var n = i;
            ReceiverProbe.ExpectMsg<ReplayedMessage>(m => IsReplayed(m, n), hint: $"replayed a-{n}");
        }
    }

    protected void ExpectRecoverySuccess(long highest) =>
        ReceiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == highest,
            hint: $"RecoverySuccess with highest sequence number {highest}");

    /// <summary>Nothing at all in the storage for <paramref name="persistenceId"/>: no event, no highest sequence number.</summary>
    protected async Task AssertNothingStoredAsync(string persistenceId)
    {
        Assert.Empty(await ReadStoredEventsAsync(persistenceId));
        Assert.Null(await Storage.ReadHighestSequenceNrAsync(persistenceId));
    }

    [Fact]
    public void Replays_all_messages_in_order()
    {
        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_from_a_lower_sequence_number_bound()
    {
        Replay(3, long.MaxValue, long.MaxValue);
        ExpectReplayed(3, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_up_to_an_upper_sequence_number_bound()
    {
        Replay(1, 3, long.MaxValue);
        ExpectReplayed(1, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_at_most_max_messages()
    {
        Replay(1, long.MaxValue, 3);
        ExpectReplayed(1, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_between_lower_and_upper_bounds()
    {
        Replay(2, 3, long.MaxValue);
        ExpectReplayed(2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_between_lower_and_upper_bounds_with_a_count_limit()
    {
        Replay(2, 5, 2);
        ExpectReplayed(2, 3);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_a_single_message_when_lower_bound_equals_upper_bound()
    {
        Replay(2, 2, long.MaxValue);
        ExpectReplayed(2, 2);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_a_single_message_when_the_count_limit_is_one()
    {
        Replay(2, 4, 1);
        ExpectReplayed(2, 2);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Replays_nothing_when_the_count_limit_is_zero()
    {
        Replay(2, 4, 0);
        ExpectRecoverySuccess(5);
        ReceiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Replays_nothing_when_the_lower_bound_is_greater_than_the_upper_bound()
    {
        Replay(3, 2, long.MaxValue);
        ExpectRecoverySuccess(5);
        ReceiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Replays_nothing_for_a_persistence_id_that_never_wrote()
    {
        Replay(0, long.MaxValue, long.MaxValue, "non-existing-pid");
        ReceiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 0L);
        ReceiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        // Reading wrote nothing either.
        await AssertNothingStoredAsync("non-existing-pid");
    }

    [Fact]
    public async Task Does_not_replay_messages_deleted_by_range()
    {
        var deleter = CreateTestProbe();
        var subscriber = CreateTestProbe();
        Subscribe<DeleteMessagesTo>(subscriber.Ref);

        var command = new DeleteMessagesTo(Pid, 3, deleter.Ref);
        Journal.Tell(command);
        subscriber.ExpectMsg<DeleteMessagesTo>(c => c.PersistenceId == Pid && c.ToSequenceNr == 3);
        deleter.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Replay(1, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
        deleter.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // In the storage: the deleted range is gone, the rest is untouched.
        Assert.Equal(new long[] { 4, 5 }, await ReadStoredSequenceNrsAsync(Pid));
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_deleting_part_of_the_journal()
    {
        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 5);
        ExpectRecoverySuccess(5);

        Journal.Tell(new DeleteMessagesTo(Pid, 3, ReceiverProbe.Ref));
        ReceiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public async Task Keeps_the_highest_sequence_number_after_deleting_everything()
    {
        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, ReceiverProbe.Ref));
        ReceiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == long.MaxValue);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
        ReceiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Empty(await ReadStoredEventsAsync(Pid));
        Assert.Equal(5, await Storage.ReadHighestSequenceNrAsync(Pid));
    }

    [Fact]
    public void Deleting_past_the_highest_sequence_number_then_writing_more_continues_the_sequence()
    {
        Journal.Tell(new DeleteMessagesTo(Pid, 100, ReceiverProbe.Ref));
        ReceiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 100);

        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[] { new AtomicWrite(Event("a-6", 6)) }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(6, 6);
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Serializes_events_with_their_manifest_and_writer()
    {
        var probe = CreateTestProbe();
        var @event = new ManifestedEvent("hello \u00e9v\u00e9nement", 3);
        Journal.Tell(new WriteMessages(new[] { new AtomicWrite(Event(@event, 6)) }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6L && m.Persistent.Payload.Equals(@event));

        Replay(6, long.MaxValue, long.MaxValue);
        var replayed = ReceiverProbe.ExpectMsg<ReplayedMessage>().Persistent;
        Assert.Equal(@event, replayed.Payload);
        Assert.Equal(6L, replayed.SequenceNr);
        Assert.Equal(Pid, replayed.PersistenceId);
        Assert.Equal(WriterGuid, replayed.WriterGuid);
        Assert.True(replayed.Sender is null || replayed.Sender.Equals(Sys.DeadLetters) ||
                    replayed.Sender.Equals(ActorRefs.NoSender));
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public async Task Rejects_a_non_serializable_event_and_writes_the_other_atomic_writes()
    {
        var msgs = Enumerable.Range(6, 3)
            .Select(i => new AtomicWrite(Event(i == 7 ? new Unserializable("x") : "b-" + i, i)))
            .ToArray();

        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(msgs, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6L && m.Persistent.Payload.Equals("b-6"));
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 7L && m.Persistent.Payload is Unserializable);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 8L && m.Persistent.Payload.Equals("b-8"));

        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 8 }, await ReadStoredSequenceNrsAsync(Pid));
    }

    [Fact]
    public async Task Rejects_a_whole_atomic_write_when_one_of_its_events_is_not_serializable()
    {
        var events = ImmutableList.Create<IPersistentRepresentation>(
            Event("c-6", 6), Event(new Unserializable("y"), 7), Event("c-8", 8));
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[] { new AtomicWrite(events) }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = 6; i <= 8; i++)
        {
            var n = i;
            probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == n);
        }

        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, await ReadStoredSequenceNrsAsync(Pid));
        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 5);
        ExpectRecoverySuccess(5);
    }
}
