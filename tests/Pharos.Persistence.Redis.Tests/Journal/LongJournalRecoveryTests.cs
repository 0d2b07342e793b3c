using System.Collections.Immutable;
using System.Diagnostics;

namespace Pharos.Persistence.Redis.Tests.Journal;

/// <summary>Measures memory process-wide, so it runs alone (no other test class allocates meanwhile).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurement";
}

/// <summary>
/// Recovery of 100,000 events with bounded memory: the plugin pages the replay (replay-page-size), where the official
/// plugin reads the whole range in one call.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class LongJournalRecoveryTests(RedisFixture redis, ITestOutputHelper output)
    : RedisPersistenceSpec(redis.Server, output, captureAkkaLog: false), IClassFixture<RedisFixture>
{
    private const int Events = 100_000;
    private const int EventsPerAtomicWrite = 1_000;
    private const int SampleEvery = 5_000;

    private static string Payload(long seqNr) => $"event-{seqNr:D6}-" + new string('x', 64);

    /// <summary>Counts write confirmations; completes when every event of every WriteMessages was confirmed.</summary>
    private sealed class WriteCounter(int expected, TaskCompletionSource<int> done) : UntypedActor
    {
        private int _confirmed;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case WriteMessageSuccess:
                    if (++_confirmed == expected) done.TrySetResult(_confirmed);
                    break;
                case WriteMessageRejected r:
                    done.TrySetException(new InvalidOperationException("rejected: " + r.Cause));
                    break;
                case WriteMessageFailure f:
                    done.TrySetException(new InvalidOperationException("failed: " + f.Cause));
                    break;
                case WriteMessagesFailed f:
                    done.TrySetException(new InvalidOperationException("batch failed: " + f.Cause));
                    break;
            }
        }
    }

    /// <summary>
    /// Keeps only a count and an order check of what it recovers (its state is O(1)), and every
    /// <see cref="SampleEvery"/> events records the live heap after a full, compacting collection.
    /// </summary>
    private sealed class CountingActor : UntypedPersistentActor
    {
        private readonly IActorRef _reporter;
        private readonly List<long> _samples;
        private long _count;
        private bool _inOrder = true;

        public CountingActor(string pid, IActorRef reporter, List<long> samples)
        {
            PersistenceId = pid;
            _reporter = reporter;
            _samples = samples;
        }

        public override string PersistenceId { get; }

        protected override void OnRecover(object message)
        {
            switch (message)
            {
                case string s:
                    _count++;
                    if (s != Payload(LastSequenceNr) || LastSequenceNr != _count) _inOrder = false;
                    if (_count % SampleEvery == 0) _samples.Add(GC.GetTotalMemory(forceFullCollection: true));
                    break;
                case RecoveryCompleted:
                    _reporter.Tell((_count, _inOrder, LastSequenceNr));
                    break;
            }
        }

        protected override void OnCommand(object message) { }
    }

    [Fact]
    public async Task Recovers_100000_events_with_bounded_memory()
    {
        // Write 100 atomic writes of 1,000 events each, 10 atomic writes per WriteMessages.
        var sw = Stopwatch.StartNew();
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = Sys.ActorOf(Props.Create(() => new WriteCounter(Events, done)));
        for (long start = 1; start <= Events; start += 10 * EventsPerAtomicWrite)
        {
            var writes = new List<AtomicWrite>();
            for (var w = 0; w < 10; w++)
            {
                var first = start + w * EventsPerAtomicWrite;
                writes.Add(new AtomicWrite(Enumerable.Range(0, EventsPerAtomicWrite)
                    .Select(i => (IPersistentRepresentation)new Persistent(Payload(first + i), first + i, Pid,
                        string.Empty, false, ActorRefs.NoSender, WriterGuid))
                    .ToImmutableList()));
            }
            Journal.Tell(new WriteMessages(writes, counter, ActorInstanceId));
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        TestOutput.WriteLine($"wrote {Events} events in {sw.ElapsedMilliseconds} ms");
        Assert.Equal(Events, await Storage.Db.SortedSetLengthAsync(Storage.JournalKey(Pid)));
        Sys.Stop(counter);

        // What holding every event at once would cost, at the very least: their serialized bytes.
        long serializedBytes = 0;
        for (long skip = 0; skip < Events; skip += 10_000)
            foreach (var member in await Storage.Db.SortedSetRangeByRankAsync(Storage.JournalKey(Pid), skip, skip + 9_999))
                serializedBytes += ((byte[])member!).Length;
        TestOutput.WriteLine($"serialized size of all events: {serializedBytes / 1024 / 1024.0:F1} MiB");

        var samples = new List<long>();
        var reporter = CreateTestProbe();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        sw.Restart();
        Sys.ActorOf(Props.Create(() => new CountingActor(Pid, reporter.Ref, samples)));
        var (count, inOrder, last) = reporter.ExpectMsg<(long, bool, long)>(TimeSpan.FromSeconds(90));
        TestOutput.WriteLine($"recovered {count} events in {sw.ElapsedMilliseconds} ms");

        Assert.Equal(Events, count);
        Assert.True(inOrder, "events were recovered out of order or with wrong payloads");
        Assert.Equal(Events, last);

        var peakGrowth = samples.Max() - baseline;
        TestOutput.WriteLine($"live heap: baseline {baseline / 1024 / 1024.0:F1} MiB, peak growth during recovery " +
                         $"{peakGrowth / 1024 / 1024.0:F1} MiB over {samples.Count} samples: " +
                         string.Join(" ", samples.Select(s => $"{(s - baseline) / 1024 / 1024.0:F1}")));
        // The bound: the serialized size of all events (about 14 MiB for these 100,000 events), i.e. less than what
        // holding every event at once would take even before deserializing any. Measured on 2 cores: a paged replay
        // (1,000 events per round trip) grows the live heap by 1-7 MiB: one page plus the replayed messages waiting
        // in the actor's mailbox (replay has no back-pressure, so that part depends on how far the actor lags);
        // the same journal read in one call (replay-page-size = 100000, as the official plugin reads it) grows it
        // by 50-70 MiB. So this discriminates paging from not paging with a wide margin both ways.
        var bound = serializedBytes;
        Assert.True(peakGrowth < bound,
            $"live heap grew by {peakGrowth:N0} bytes during recovery; bound {bound:N0} (serialized size " +
            $"{serializedBytes:N0}): recovery does not page");
    }
}
