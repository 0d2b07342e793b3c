using System.Collections.Immutable;
using Akka.TestKit;

namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>
/// The Akka.Persistence TCK's journal cases (JournalSpec), written here because Akka.Persistence.TCK is not served:
/// the journal actor is driven with the persistence protocol messages, as the TCK does. Each test starts with the
/// TCK's fixture: events "a-1" … "a-5" for <see cref="RedisPersistenceSpec.Pid"/>, 1–3 as single atomic writes and
/// 4–5 as one atomic write of two events.
/// </summary>
public abstract class JournalConformanceSpec : RedisPersistenceSpec
{
    private readonly TestProbe _receiverProbe;

    protected JournalConformanceSpec(RedisServer server, ITestOutputHelper output, int replayPageSize)
        : base(server, output, $"akka.persistence.journal.redis.replay-page-size = {replayPageSize}")
    {
        _receiverProbe = CreateTestProbe();
        Initialize();
    }

    private void Initialize()
    {
        Persistent Event(long i) => new("a-" + i, i, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid);
        var messages = new[]
        {
            new AtomicWrite(Event(1)),
            new AtomicWrite(Event(2)),
            new AtomicWrite(Event(3)),
            new AtomicWrite(ImmutableList.Create<IPersistentRepresentation>(Event(4), Event(5))),
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

    private void Replay(long from, long to, long max, string? pid = null) =>
        Journal.Tell(new ReplayMessages(from, to, max, pid ?? Pid, _receiverProbe.Ref));

    private void ExpectReplayed(long from, long to)
    {
        for (var i = from; i <= to; i++)
        {
            var n = i;
            _receiverProbe.ExpectMsg<ReplayedMessage>(m => IsReplayed(m, n), hint: $"replayed a-{n}");
        }
    }

    private void ExpectRecoverySuccess(long highest) =>
        _receiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == highest,
            hint: $"RecoverySuccess with highest sequence number {highest}");

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
        _receiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Replays_nothing_when_the_lower_bound_is_greater_than_the_upper_bound()
    {
        Replay(3, 2, long.MaxValue);
        ExpectRecoverySuccess(5);
        _receiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Replays_nothing_for_a_persistence_id_that_never_wrote()
    {
        Replay(0, long.MaxValue, long.MaxValue, "non-existing-pid");
        _receiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 0L);
        _receiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.False(Db.KeyExists(JournalKey("non-existing-pid")));
        Assert.False(Db.KeyExists(HighestSequenceNrKey("non-existing-pid")));
    }

    [Fact]
    public void Does_not_replay_messages_deleted_by_range()
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

        // In Redis: the deleted range is gone, the rest is untouched.
        var scores = Db.SortedSetRangeByRankWithScores(JournalKey(Pid)).Select(e => (long)e.Score).ToArray();
        Assert.Equal(new long[] { 4, 5 }, scores);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_deleting_part_of_the_journal()
    {
        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 5);
        ExpectRecoverySuccess(5);

        Journal.Tell(new DeleteMessagesTo(Pid, 3, _receiverProbe.Ref));
        _receiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 3);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(4, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public void Keeps_the_highest_sequence_number_after_deleting_everything()
    {
        Journal.Tell(new DeleteMessagesTo(Pid, long.MaxValue, _receiverProbe.Ref));
        _receiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == long.MaxValue);

        Replay(0, long.MaxValue, long.MaxValue);
        ExpectRecoverySuccess(5);
        _receiverProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        Assert.Equal(0, Db.SortedSetLength(JournalKey(Pid)));
        Assert.Equal("5", (string?)Db.StringGet(HighestSequenceNrKey(Pid)));
    }

    [Fact]
    public void Deleting_past_the_highest_sequence_number_then_writing_more_continues_the_sequence()
    {
        Journal.Tell(new DeleteMessagesTo(Pid, 100, _receiverProbe.Ref));
        _receiverProbe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == 100);

        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(
            new[] { new AtomicWrite(new Persistent("a-6", 6, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid)) },
            probe.Ref, ActorInstanceId));
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
        var aw = new AtomicWrite(new Persistent(@event, 6L, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid));
        Journal.Tell(new WriteMessages(new[] { aw }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6L && m.Persistent.Payload.Equals(@event));

        Replay(6, long.MaxValue, long.MaxValue);
        var replayed = _receiverProbe.ExpectMsg<ReplayedMessage>().Persistent;
        Assert.Equal(@event, replayed.Payload);
        Assert.Equal(6L, replayed.SequenceNr);
        Assert.Equal(Pid, replayed.PersistenceId);
        Assert.Equal(WriterGuid, replayed.WriterGuid);
        Assert.True(replayed.Sender is null || replayed.Sender.Equals(Sys.DeadLetters) ||
                    replayed.Sender.Equals(ActorRefs.NoSender));
        ExpectRecoverySuccess(6);
    }

    [Fact]
    public void Rejects_a_non_serializable_event_and_writes_the_other_atomic_writes()
    {
        var msgs = Enumerable.Range(6, 3).Select(i =>
        {
            object evt = i == 7 ? new Unserializable("x") : "b-" + i;
            return new AtomicWrite(new Persistent(evt, i, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid));
        }).ToArray();

        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(msgs, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 6L && m.Persistent.Payload.Equals("b-6"));
        probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == 7L && m.Persistent.Payload is Unserializable);
        probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == 8L && m.Persistent.Payload.Equals("b-8"));

        var scores = Db.SortedSetRangeByRankWithScores(JournalKey(Pid)).Select(e => (long)e.Score).ToArray();
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 8 }, scores);
    }

    [Fact]
    public void Rejects_a_whole_atomic_write_when_one_of_its_events_is_not_serializable()
    {
        var events = ImmutableList.Create<IPersistentRepresentation>(
            new Persistent("c-6", 6, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid),
            new Persistent(new Unserializable("y"), 7, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid),
            new Persistent("c-8", 8, Pid, string.Empty, false, ActorRefs.NoSender, WriterGuid));
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(new[] { new AtomicWrite(events) }, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        for (var i = 6; i <= 8; i++)
        {
            var n = i;
            probe.ExpectMsg<WriteMessageRejected>(m => m.Persistent.SequenceNr == n);
        }

        var scores = Db.SortedSetRangeByRankWithScores(JournalKey(Pid)).Select(e => (long)e.Score).ToArray();
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, scores);
        Replay(0, long.MaxValue, long.MaxValue);
        ExpectReplayed(1, 5);
        ExpectRecoverySuccess(5);
    }

    [Fact]
    public async Task Stores_events_in_the_official_plugins_key_layout()
    {
        var entries = await ReadJournalKeyAsync(Pid);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, entries.Select(e => e.SequenceNr).ToArray());
        foreach (var (seqNr, persistent) in entries)
        {
            Assert.Equal(seqNr, persistent.SequenceNr);
            Assert.Equal("a-" + seqNr, persistent.Payload);
            Assert.Equal(Pid, persistent.PersistenceId);
            Assert.Equal(WriterGuid, persistent.WriterGuid);
        }
        Assert.Equal("5", (string?)await Db.StringGetAsync(HighestSequenceNrKey(Pid)));
        Assert.Equal(RedisType.SortedSet, await Db.KeyTypeAsync(JournalKey(Pid)));
    }

    [Fact]
    public void Replays_events_written_directly_in_the_official_plugins_layout()
    {
        // Data moved from Akka.Persistence.Redis: members are Akka's persistence serialization of the envelope.
        var pid = Pid + "-migrated";
        var serializer = Sys.Serialization.FindSerializerForType(typeof(Persistent));
        for (var i = 1; i <= 3; i++)
        {
            var p = new Persistent("m-" + i, i, pid, string.Empty, false, ActorRefs.NoSender, WriterGuid);
            Db.SortedSetAdd(JournalKey(pid), serializer.ToBinary(p), i);
        }
        Db.StringSet(HighestSequenceNrKey(pid), "3");

        Replay(1, long.MaxValue, long.MaxValue, pid);
        for (var i = 1; i <= 3; i++)
        {
            var n = i;
            _receiverProbe.ExpectMsg<ReplayedMessage>(m => m.Persistent.Payload.Equals("m-" + n) &&
                                                          m.Persistent.SequenceNr == n);
        }
        _receiverProbe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 3);
    }
}

/// <summary>The journal cases with the default replay page (1000 events per round trip).</summary>
public sealed class JournalConformanceTests(RedisFixture redis, ITestOutputHelper output)
    : JournalConformanceSpec(redis.Server, output, replayPageSize: 1000), IClassFixture<RedisFixture>;

/// <summary>
/// The same cases with pages of 2 events, so that every bound and count limit crosses page boundaries (the official
/// plugin reads the whole range at once; this one pages).
/// </summary>
public sealed class JournalConformanceSmallPageTests(RedisFixture redis, ITestOutputHelper output)
    : JournalConformanceSpec(redis.Server, output, replayPageSize: 2), IClassFixture<RedisFixture>;
