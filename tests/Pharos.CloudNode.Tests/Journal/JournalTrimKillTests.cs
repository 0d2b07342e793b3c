using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Pharos.Testing.Nodes;
using Pharos.Testing.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Pharos.CloudNode.Tests.Journal;

/// <summary>
/// The queue trims its journal behind its snapshots, and a cloud node process killed with kill -9 at any step of that
/// (a snapshot saved, the events behind the one before deleted, the snapshots before it deleted, the next events
/// written), or whose newest snapshot cannot be read, recovers every task it acknowledged, on SQLite and on Redis. The
/// moment is found, not hoped for: the node is frozen (SIGSTOP) at random instants until the store, read directly,
/// shows the step wanted, then killed where it stands.
/// </summary>
public sealed class JournalTrimKillTests(ITestOutputHelper output)
{
    private const string Queue = "pharos-queue";
    // A small history makes snapshots frequent (the queue snapshots every max(PHAROS_SNAPSHOT_EVERY, jobs) events).
    private const int History = 20;
    // Events written before the kills begin: far more than the trimmed journal holds (about two snapshots' worth).
    private const long EventsBeforeKills = 600;
    private const long TrimmedJournalBound = 150;

    [Fact]
    public async Task Sqlite_a_node_killed_at_every_step_of_the_trim_recovers_every_acknowledged_task()
    {
        var dataDir = TempDirectories.Create("pharos-trim-sqlite-");
        try
        {
            await KillAtEveryStepAsync(new SqliteQueueStore(dataDir), dataDir, new Dictionary<string, string?>());
        }
        finally
        {
            TempDirectories.Delete(dataDir);
        }
    }

    [Fact]
    public async Task Redis_a_node_killed_at_every_step_of_the_trim_recovers_every_acknowledged_task()
    {
        await using var redis = await RedisServer.StartWithAofAsync();
        using var store = new RedisQueueStore(redis.ConnectionString, "trim:");
        var dataDir = TempDirectories.Create("pharos-trim-redis-");
        try
        {
            await KillAtEveryStepAsync(store, dataDir, new Dictionary<string, string?>
            {
                ["PHAROS_REDIS"] = redis.ConnectionString,
                ["PHAROS_REDIS_KEY_PREFIX"] = "trim:",
            });
        }
        finally
        {
            TempDirectories.Delete(dataDir);
        }
    }

    private async Task KillAtEveryStepAsync(IQueueStore store, string dataDir, Dictionary<string, string?> settings)
    {
        settings["PHAROS_SNAPSHOT_EVERY"] = "1";
        settings["PHAROS_HISTORY_SIZE"] = History.ToString();
        var acknowledged = new Acknowledgements();
        var life = 0;
        var cloud = await CloudProcess.StartAsync($"cloud-{++life}", settings, dataDir: dataDir);
        try
        {
            var churn = Churn.Start(cloud, acknowledged);
            await Eventually.WaitAsync(store.ReadAsync, s => s.Highest >= EventsBeforeKills, $"the queue to write {EventsBeforeKills} events",
                diagnostics: () => churn.Summary + "\n" + cloud.Node.Describe(), abort: cloud.AbortIfExited);

            // The last kill lands where the others did not look: a trimmed journal whose newest snapshot is then damaged.
            foreach (var (step, corrupt) in new[]
                     { (TrimStep.SnapshotSaved, false), (TrimStep.EventsTrimmed, false), (TrimStep.Trimmed, false), (TrimStep.Trimmed, true) })
            {
                var atKill = await FreezeAtAsync(cloud, store, step, churn);
                await cloud.Node.KillAsync();
                await churn.StopAsync();
                if (corrupt) await store.CorruptNewestSnapshotAsync();
                output.WriteLine($"life {life}: killed at {step}{(corrupt ? ", newest snapshot then damaged" : "")}: {atKill}; " +
                                 $"{acknowledged.Count} answers so far");
                await cloud.DisposeAsync();

                cloud = await CloudProcess.StartAsync($"cloud-{++life}", settings, dataDir: dataDir);
                var recovered = await store.ReadAsync();
                Assert.True(recovered.Highest >= atKill.Highest, $"recovered to {recovered}, killed at {atKill}");
                await AssertAcknowledgedPresentAsync(cloud, acknowledged, $"after the kill at {step}");
                churn = Churn.Start(cloud, acknowledged);
            }
            await Eventually.WaitAsync(store.ReadAsync, s => s.Step == TrimStep.Trimmed && s.Highest > EventsBeforeKills + 200,
                "the queue to go on writing and trimming", diagnostics: () => cloud.Node.Describe(), abort: cloud.AbortIfExited);
            await churn.StopAsync();
            var end = await store.ReadAsync();
            output.WriteLine($"end: {end}; {acknowledged.Count} answers");
            // Without trimming the journal would hold every event written.
            Assert.True(end.LiveEvents < TrimmedJournalBound, $"the journal keeps {end.LiveEvents} events: {end}");
            await AssertAcknowledgedPresentAsync(cloud, acknowledged, "at the end");
        }
        finally
        {
            await cloud.DisposeAsync();
        }
    }

    /// <summary>Freezes the node at random instants until the store shows <paramref name="step"/>; returns it frozen.</summary>
    private static async Task<StoreState> FreezeAtAsync(CloudProcess cloud, IQueueStore store, TrimStep step, Churn churn)
    {
        var seen = new Dictionary<TrimStep, int>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (cloud.AbortIfExited() is { } exited) throw new Xunit.Sdk.XunitException(exited + "\n" + cloud.Node.Describe());
            // Straight to the kernel, thousands of times: the node's log keeps its own lines.
            Signal(cloud.Node.Pid, SigStop);
            var state = await store.ReadAsync();
            if (state.Step == step) return state;
            seen[state.Step] = seen.GetValueOrDefault(state.Step) + 1;
            Signal(cloud.Node.Pid, SigCont);
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"The node was never frozen at {step} in 90 s; frozen at: " +
                                                   string.Join(", ", seen.Select(s => $"{s.Key} {s.Value}×")) +
                                                   $"; last {state}; {churn.Summary}\n" + cloud.Node.Describe());
            await Task.Delay(Random.Shared.Next(0, 15));
        }
    }

    private const int SigCont = 18, SigStop = 19;

    private static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>
    /// The newest answers the node gave are all in its state: each task answered 202 is there (a finished one stays while
    /// it is among the newest <see cref="History"/>), and each whose cancel was answered 200 is cancelled.
    /// </summary>
    private static async Task AssertAcknowledgedPresentAsync(CloudProcess cloud, Acknowledgements acknowledged, string when)
    {
        var jobs = (await cloud.GetJsonAsync("/jobs?limit=100")).Array("jobs")
            .ToDictionary(j => j.Str("task_id")!, j => j.Status());
        foreach (var (id, cancelled) in acknowledged.Newest(History / 2))
        {
            Assert.True(jobs.TryGetValue(id, out var status), $"task {id}, answered 202, is missing {when}: {string.Join(", ", jobs)}");
            if (cancelled) Assert.True(status == "cancelled", $"task {id}, whose cancel was answered 200, is {status} {when}");
        }
    }

    private enum TrimStep { None, SnapshotSaved, EventsTrimmed, Trimmed }

    /// <summary>What the store holds for the queue: its snapshots' sequence numbers, its oldest live event, its highest.</summary>
    private sealed record StoreState(IReadOnlyList<long> Snapshots, long? Oldest, long Highest, long LiveEvents)
    {
        public TrimStep Step
        {
            get
            {
                if (Snapshots.Count < 2) return TrimStep.None;
                var before = Snapshots[^2];
                // A snapshot saved, and the events the one before it covers still there.
                if (Oldest <= before) return TrimStep.SnapshotSaved;
                // Those events deleted, the snapshots before that one not yet.
                if (Snapshots.Count > 2) return TrimStep.EventsTrimmed;
                // Trimmed, and events written after the newest snapshot.
                return Highest > Snapshots[^1] ? TrimStep.Trimmed : TrimStep.None;
            }
        }

        public override string ToString() =>
            $"{Step}: snapshots at [{string.Join(", ", Snapshots)}], events {Oldest}..{Highest} ({LiveEvents} kept)";
    }

    private interface IQueueStore
    {
        Task<StoreState> ReadAsync();
        Task CorruptNewestSnapshotAsync();
    }

    /// <summary>The cloud node's two SQLite files, read with connections of the test's own.</summary>
    private sealed class SqliteQueueStore(string dataDir) : IQueueStore
    {
        private string Journal => Path.Combine(dataDir, "pharos.db");
        private string Snapshots => Path.Combine(dataDir, "pharos-snapshots.db");

        public Task<StoreState> ReadAsync()
        {
            if (!File.Exists(Journal) || !File.Exists(Snapshots)) return Task.FromResult(new StoreState([], null, 0, 0));
            var snapshots = Query(Snapshots, "SELECT sequence_number FROM snapshot WHERE persistence_id = $pid ORDER BY sequence_number")
                .Select(r => (long)r[0]!).ToList();
            var events = Query(Journal, """
                SELECT MIN(CASE WHEN deleted = 0 THEN sequence_number END), MAX(sequence_number), SUM(1 - deleted)
                FROM journal WHERE persistence_id = $pid
                """)[0];
            return Task.FromResult(new StoreState(snapshots, events[0] as long?, events[1] as long? ?? 0, events[2] as long? ?? 0));
        }

        public Task CorruptNewestSnapshotAsync()
        {
            // A serializer nobody has: the row is there, and nothing can read it.
            Query(Snapshots, """
                UPDATE snapshot SET serializer_id = 987654 WHERE persistence_id = $pid
                AND sequence_number = (SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = $pid)
                """);
            return Task.CompletedTask;
        }

        private static List<object?[]> Query(string file, string sql)
        {
            using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$pid", Queue);
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
    }

    /// <summary>The queue's keys in redis-server, read with a connection of the test's own.</summary>
    private sealed class RedisQueueStore(string connectionString, string prefix) : IQueueStore, IDisposable
    {
        private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(connectionString);
        private IDatabase Db => _redis.GetDatabase();
        private string JournalKey => $"{prefix}journal:persisted:{Queue}";
        private string SnapshotKey => $"{prefix}snapshot:{Queue}";

        public async Task<StoreState> ReadAsync()
        {
            var snapshots = (await Db.SortedSetRangeByRankWithScoresAsync(SnapshotKey)).Select(e => (long)e.Score).ToList();
            var oldest = await Db.SortedSetRangeByRankWithScoresAsync(JournalKey, 0, 0);
            var highest = (long?)await Db.StringGetAsync($"{JournalKey}:highestSequenceNr") ?? 0;
            var live = await Db.SortedSetLengthAsync(JournalKey);
            return new StoreState(snapshots, oldest.Length == 0 ? null : (long)oldest[0].Score, highest, live);
        }

        public async Task CorruptNewestSnapshotAsync()
        {
            var newest = (await Db.SortedSetRangeByRankWithScoresAsync(SnapshotKey, -1, -1)).Single();
            var bytes = (byte[])newest.Element!;
            // Cut in half, inside its payload: the entry cannot be read, and it keeps its place.
            var transaction = Db.CreateTransaction();
            _ = transaction.SortedSetRemoveAsync(SnapshotKey, newest.Element);
            _ = transaction.SortedSetAddAsync(SnapshotKey, bytes[..(bytes.Length / 2)], newest.Score);
            Assert.True(await transaction.ExecuteAsync());
        }

        public void Dispose() => _redis.Dispose();
    }

    /// <summary>Every answer the node gave that says something was done, in order: a 202 (id) or a 200 to a cancel.</summary>
    private sealed class Acknowledgements
    {
        private readonly ConcurrentDictionary<string, (long Order, bool Cancelled)> _tasks = new();
        private long _order;

        public int Count => _tasks.Count;
        public void Accepted(string id) => _tasks[id] = (Interlocked.Increment(ref _order), false);
        // A task of an earlier life whose 202 was lost in a kill was never acknowledged: its cancel is not counted.
        public void Cancelled(string id)
        {
            if (_tasks.TryGetValue(id, out var task)) _tasks[id] = (task.Order, true);
        }

        public IEnumerable<(string Id, bool Cancelled)> Newest(int count) =>
            _tasks.OrderByDescending(t => t.Value.Order).Take(count).Select(t => (t.Key, t.Value.Cancelled));
    }

    /// <summary>Submits tasks and cancels them as a client would, keeping up to five waiting, until stopped.</summary>
    private sealed class Churn
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentDictionary<int, int> _statuses = new();
        private Task _loop = Task.CompletedTask;

        /// <summary>How many submissions got each status: for a failure message.</summary>
        public string Summary => "submissions answered " + string.Join(", ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));

        public static Churn Start(CloudProcess cloud, Acknowledgements acknowledged)
        {
            var churn = new Churn();
            churn._loop = Task.Run(() => churn.RunAsync(cloud, acknowledged));
            return churn;
        }

        private async Task RunAsync(CloudProcess cloud, Acknowledgements acknowledged)
        {
            using var client = new HttpClient { BaseAddress = cloud.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
            client.DefaultRequestHeaders.Authorization = cloud.Client.DefaultRequestHeaders.Authorization;
            var waiting = new Queue<string>();
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (waiting.Count >= 5)
                    {
                        var id = waiting.Dequeue();
                        if ((await client.DeleteAsync($"/jobs/{id}", _stop.Token)).IsSuccessStatusCode) acknowledged.Cancelled(id);
                        continue;
                    }
                    var response = await client.PostAsJsonAsync("/ingest",
                        new Dictionary<string, string> { ["repo_url"] = $"http://127.0.0.1/trim/r{Guid.NewGuid():N}.git" }, _stop.Token);
                    _statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        // The queue is full of tasks an earlier life of the node took (their answers lost in the kill):
                        // cancel them, as their client would.
                        var queued = (await client.GetFromJsonAsync<JsonElement>("/jobs?limit=100&status=queued", _stop.Token)).Array("jobs");
                        foreach (var job in queued) waiting.Enqueue(job.Str("task_id")!);
                        continue;
                    }
                    if (response.StatusCode != HttpStatusCode.Accepted) continue;
                    var accepted = (await response.Content.ReadFromJsonAsync<JsonElement>(_stop.Token)).GetProperty("task_id").GetString()!;
                    acknowledged.Accepted(accepted);
                    waiting.Enqueue(accepted);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    // No answer: the node is frozen or gone. What it did not answer is not counted.
                }
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }
    }
}
