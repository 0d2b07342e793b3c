using Akka.TestKit;
using static Pharos.Persistence.Testing.EventLogActor;

namespace Pharos.Persistence.Testing;

/// <summary>
/// The TCK's cases that need a real persistent actor (<see cref="EventLogActor"/>), plus recovery across actor systems
/// on the same storage.
/// </summary>
public abstract class PersistentActorSpec<TStorage> : PluginSpec<TStorage>
    where TStorage : PluginStorage
{
    protected static readonly TimeSpan Long = TimeSpan.FromSeconds(15);

    protected PersistentActorSpec(TStorage storage, ITestOutputHelper output, string systemName)
        : base(storage, output, systemName)
    {
    }

    protected static Recovered ExpectRecovered(TestProbe reporter) => reporter.ExpectMsg<Recovered>(Long);

    [Fact]
    public async Task Persists_several_events_atomically_with_PersistAll()
    {
        var (actor, reporter) = Start(Pid);
        ExpectRecovered(reporter);
        actor.Tell(new PersistOne("e-1"));
        actor.Tell(new PersistMany(new object[] { "e-2", "e-3", "e-4" }));
        actor.Tell(new PersistOne("e-5"));
        for (var i = 1; i <= 5; i++)
        {
            var n = i;
            reporter.ExpectMsg<Persisted>(p => p.Event.Equals("e-" + n) && p.SequenceNr == n);
        }

        var stored = await ReadStoredEventsAsync(Pid);
        Assert.Equal(new object[] { "e-1", "e-2", "e-3", "e-4", "e-5" }, stored.Select(e => e.Payload));
        Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, stored.Select(e => e.SequenceNr));
        Assert.Equal(5, await Storage.ReadHighestSequenceNrAsync(Pid));

        Sys.Stop(actor);
        var (_, reporter2) = Start(Pid);
        var recovered = ExpectRecovered(reporter2);
        Assert.Equal(new object[] { "e-1", "e-2", "e-3", "e-4", "e-5" }, recovered.Events);
        Assert.Equal(5, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task Rejects_a_PersistAll_with_a_non_serializable_event_writes_nothing_of_it_and_goes_on()
    {
        var (actor, reporter) = Start(Pid);
        ExpectRecovered(reporter);
        actor.Tell(new PersistOne("before"));
        reporter.ExpectMsg<Persisted>(p => p.Event.Equals("before") && p.SequenceNr == 1);

        actor.Tell(new PersistMany(new object[] { "ok-1", new Unserializable("bad"), "ok-2" }));
        var rejected = new[]
        {
            reporter.ExpectMsg<Rejected>(Long), reporter.ExpectMsg<Rejected>(), reporter.ExpectMsg<Rejected>(),
        };
        Assert.Equal(new object[] { "ok-1", new Unserializable("bad"), "ok-2" }, rejected.Select(r => r.Event));
        Assert.Equal(new long[] { 2, 3, 4 }, rejected.Select(r => r.SequenceNr));

        // The actor goes on: the next persist succeeds.
        actor.Tell(new PersistOne("after"));
        reporter.ExpectMsg<Persisted>(p => p.Event.Equals("after") && p.SequenceNr == 5);
        var state = await actor.Ask<State>(new GetState(), Long);
        Assert.Equal(new object[] { "before", "after" }, state.Events);

        // Nothing of the rejected atomic write reached the storage.
        var stored = await ReadStoredEventsAsync(Pid);
        Assert.Equal(new long[] { 1, 5 }, stored.Select(e => e.SequenceNr));
        Assert.Equal(new object[] { "before", "after" }, stored.Select(e => e.Payload));

        Sys.Stop(actor);
        var (_, reporter2) = Start(Pid);
        var recovered = ExpectRecovered(reporter2);
        Assert.Equal(new object[] { "before", "after" }, recovered.Events);
        Assert.Equal(5, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task Concurrent_writers_to_many_persistence_ids_all_replay_correctly()
    {
        const int actors = 50, events = 100;
        var pids = Enumerable.Range(1, actors).Select(i => $"{Pid}-w{i}").ToArray();
        var reporter = CreateTestProbe();
        var writers = pids.Select(pid => Sys.ActorOf(EventLogActor.Props(pid, reporter.Ref))).ToArray();
        // Interleave: every writer gets its i-th command before any gets its (i+1)-th; some as PersistAll.
        for (var i = 1; i <= events; i++)
            for (var w = 0; w < actors; w++)
            {
                if (i % 10 == 1 && i + 2 <= events)
                {
                    writers[w].Tell(new PersistMany(new object[] { $"{pids[w]}:{i}", $"{pids[w]}:{i + 1}", $"{pids[w]}:{i + 2}" }));
                }
                else if (i % 10 is 2 or 3)
                {
                    // written by the PersistMany above
                }
                else
                {
                    writers[w].Tell(new PersistOne($"{pids[w]}:{i}"));
                }
            }

        var expected = pids.ToDictionary(pid => pid,
            pid => Enumerable.Range(1, events).Select(i => (object)$"{pid}:{i}").ToArray());
        var states = await Task.WhenAll(writers.Select(w => w.Ask<State>(new GetState(), TimeSpan.FromSeconds(60))));
        for (var w = 0; w < actors; w++)
        {
            Assert.Equal(expected[pids[w]], states[w].Events);
            Assert.Equal(events, states[w].LastSequenceNr);
        }
        foreach (var w in writers) Sys.Stop(w);

        // New incarnations replay, all at once too.
        var probe = CreateTestProbe();
        foreach (var pid in pids) Sys.ActorOf(EventLogActor.Props(pid, probe.Ref));
        var recovered = new List<Recovered>();
        for (var i = 0; i < actors; i++) recovered.Add(probe.ExpectMsg<Recovered>(TimeSpan.FromSeconds(30)));
        foreach (var r in recovered)
        {
            var pid = ((string)r.Events[0]).Split(':')[0];
            Assert.Equal(expected[pid], r.Events);
            Assert.Equal(events, r.LastSequenceNr);
        }

        foreach (var pid in pids)
        {
            Assert.Equal(events, (await ReadStoredEventsAsync(pid)).Count);
            Assert.Equal(events, await Storage.ReadHighestSequenceNrAsync(pid));
        }
    }

    [Fact]
    public async Task Keeps_the_highest_sequence_number_after_deleting_everything_and_restarting_the_actor_system()
    {
        var config = Sys.Settings.Config;
        var first = ActorSystem.Create("first", config);
        try
        {
            var (actor, reporter) = Start(Pid, first);
            ExpectRecovered(reporter);
            for (var i = 1; i <= 5; i++) actor.Tell(new PersistOne("e-" + i));
            for (var i = 1; i <= 5; i++) reporter.ExpectMsg<Persisted>(Long);
            actor.Tell(new DeleteEventsTo(long.MaxValue));
            reporter.ExpectMsg<EventsDeleted>(Long);
        }
        finally
        {
            await first.Terminate().WaitAsync(Long);
        }
        Assert.Empty(await ReadStoredEventsAsync(Pid));

        var second = ActorSystem.Create("second", config);
        try
        {
            var (actor, reporter) = Start(Pid, second);
            var recovered = ExpectRecovered(reporter);
            Assert.Empty(recovered.Events);
            Assert.Equal(5, recovered.LastSequenceNr);

            // Sequence numbers go on from 5, never reused.
            actor.Tell(new PersistOne("e-6"));
            reporter.ExpectMsg<Persisted>(p => p.Event.Equals("e-6") && p.SequenceNr == 6, Long);

            var probe = CreateTestProbe(second);
            Akka.Persistence.Persistence.Instance.Apply(second).JournalFor(null)
                .Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, Pid, probe.Ref));
            probe.ExpectMsg<ReplayedMessage>(m => m.Persistent.SequenceNr == 6);
            probe.ExpectMsg<RecoverySuccess>(m => m.HighestSequenceNr == 6);
        }
        finally
        {
            await second.Terminate().WaitAsync(Long);
        }
    }

    [Fact]
    public void Recovers_from_a_snapshot_and_the_events_after_it()
    {
        var (actor, reporter) = Start(Pid);
        ExpectRecovered(reporter);
        for (var i = 1; i <= 3; i++) actor.Tell(new PersistOne("e-" + i));
        for (var i = 1; i <= 3; i++) reporter.ExpectMsg<Persisted>(Long);
        actor.Tell(new TakeSnapshot());
        reporter.ExpectMsg<SnapshotSaved>(s => s.SequenceNr == 3, Long);
        actor.Tell(new PersistMany(new object[] { "e-4", "e-5" }));
        reporter.ExpectMsg<Persisted>(Long);
        reporter.ExpectMsg<Persisted>(Long);
        Sys.Stop(actor);

        var (_, reporter2) = Start(Pid);
        var recovered = ExpectRecovered(reporter2);
        Assert.Equal(3, recovered.SnapshotSequenceNr);
        Assert.Equal(new object[] { "e-1", "e-2", "e-3", "e-4", "e-5" }, recovered.Events);
        Assert.Equal(5, recovered.LastSequenceNr);
    }

    [Fact]
    public async Task Recovers_its_events_and_snapshot_in_another_actor_system_on_the_same_storage()
    {
        State before;
        var first = ActorSystem.Create("first", Sys.Settings.Config);
        try
        {
            var (actor, reporter) = Start(Pid, first);
            ExpectRecovered(reporter);
            actor.Tell(new PersistMany(new object[] { "e-1", "e-2" }));
            actor.Tell(new PersistOne(new ManifestedEvent("versioned", 2)));
            for (var i = 1; i <= 3; i++) reporter.ExpectMsg<Persisted>(p => p.SequenceNr == i, Long);
            actor.Tell(new TakeSnapshot());
            reporter.ExpectMsg<SnapshotSaved>(s => s.SequenceNr == 3, Long);
            actor.Tell(new PersistOne("e-4"));
            reporter.ExpectMsg<Persisted>(p => p.SequenceNr == 4, Long);
            before = await actor.Ask<State>(new GetState(), Long);
        }
        finally
        {
            await first.Terminate().WaitAsync(Long);
        }

        var second = ActorSystem.Create("second", Sys.Settings.Config);
        try
        {
            var (actor, reporter) = Start(Pid, second);
            var recovered = ExpectRecovered(reporter);
            Assert.Equal(3, recovered.SnapshotSequenceNr);
            Assert.Equal(new object[] { "e-1", "e-2", new ManifestedEvent("versioned", 2), "e-4" }, recovered.Events);
            Assert.Equal(before.Events, recovered.Events);
            Assert.Equal(4, recovered.LastSequenceNr);

            actor.Tell(new PersistOne("e-5"));
            reporter.ExpectMsg<Persisted>(p => p.Event.Equals("e-5") && p.SequenceNr == 5, Long);
        }
        finally
        {
            await second.Terminate().WaitAsync(Long);
        }
    }
}
