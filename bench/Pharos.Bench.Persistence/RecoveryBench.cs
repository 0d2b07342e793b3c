using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pharos.Bench.Persistence;

/// <summary>
/// Recovery of journals of --sizes events, without and with a snapshot 100 events before the end, on each journal.
/// Each recovery runs in a fresh process (<c>recover-one</c>), cases and journals interleaved, --runs times; medians.
/// </summary>
public static class RecoveryBench
{
    public const int SnapshotDistance = 100;
    private const string WarmId = "rec-warm";

    private sealed record One(long Events, long SnapshotSequenceNr, double Ms, double PeakHeapMb, double BaselineMb,
        double AllocatedMb, double RetainedMb, double HwmMb, int Gen0, int Gen1, int Gen2);

    public static async Task<int> RunAsync(Options options)
    {
        var sizes = options.Text("sizes", "10000,100000").Split(',').Select(long.Parse).ToArray();
        var runs = options.Int("runs", 3);
        var journals = options.Text("journals", "redis,sqlite").Split(',', StringSplitOptions.RemoveEmptyEntries);

        foreach (var name in journals)
        {
            var clock = Stopwatch.StartNew();
            using var host = await JournalTarget.From(options, name).StartAsync();
            var system = host.Services.GetRequiredService<ActorSystem>();
            await PopulateAsync(system, WarmId, 200, 100);
            foreach (var n in sizes)
            {
                await PopulateAsync(system, Id(n, false), n, 0);
                await PopulateAsync(system, Id(n, true), n, n - SnapshotDistance);
            }
            await host.StopAsync();
            Console.Error.WriteLine($"[recovery] {name}: wrote {2 * sizes.Sum()} events in {clock.Elapsed.TotalSeconds:F1} s");
        }

        var results = new Dictionary<(string Journal, long N, bool Snap), List<One>>();
        foreach (var n in sizes)
            foreach (var snap in new[] { false, true })
                for (var run = 0; run < runs; run++)
                    foreach (var name in journals)
                    {
                        var one = await SpawnAsync(options, name, Id(n, snap));
                        if (one.Events + one.SnapshotSequenceNr < n)
                            throw new BenchException($"{name} {Id(n, snap)} recovered {one.Events} events after snapshot {one.SnapshotSequenceNr}, expected {n}");
                        (results.TryGetValue((name, n, snap), out var list) ? list : results[(name, n, snap)] = []).Add(one);
                        Console.Error.WriteLine($"[recovery] {name,-6} {n,7} {(snap ? "snapshot" : "events"),-8} run {run + 1}: {one.Ms:F0} ms, " +
                                                $"peak heap {one.PeakHeapMb:F1} MB, allocated {one.AllocatedMb:F0} MB");
                    }

        var sb = new StringBuilder();
        sb.AppendLine("### Recovery").AppendLine();
        sb.AppendLine($"Time from `ActorOf` to `RecoveryCompleted` in a fresh process whose journal and connection are already " +
                      $"warm (it first recovered a small journal), median of {runs}; \"snapshot\" = a snapshot {SnapshotDistance} events " +
                      "before the end, so the replay is 100 events. The actor counts events and keeps nothing. Memory (medians): " +
                      "peak = highest `GC.GetTotalMemory(false)` sampled every 500 events, minus the heap after a full GC just " +
                      "before the recovery (so it includes garbage not yet collected, bounded by the gen0 budget); allocated = " +
                      "`GC.GetTotalAllocatedBytes` during recovery; retained = heap after a full GC once recovered minus before; " +
                      "gen0/1/2 = collections during recovery; VmHWM = the process's peak resident set.");
        sb.AppendLine();
        sb.AppendLine("| journal | events | snapshot | recovery ms (min–max) | events/s | peak heap Δ MB | allocated MB | bytes allocated / event | retained MB | GCs gen0/1/2 | VmHWM MB |");
        sb.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var n in sizes)
            foreach (var snap in new[] { false, true })
                foreach (var name in journals)
                {
                    var list = results[(name, n, snap)];
                    var ms = Program.Median(list.Select(o => o.Ms));
                    var replayed = Program.Median(list.Select(o => (double)o.Events));
                    var alloc = Program.Median(list.Select(o => o.AllocatedMb));
                    sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {n:N0} | {(snap ? $"at {n - SnapshotDistance:N0}" : "none")} | {ms:F0} ({list.Min(o => o.Ms):F0}–{list.Max(o => o.Ms):F0}) | " +
                        $"{replayed / (ms / 1000):F0} | {Program.Median(list.Select(o => o.PeakHeapMb - o.BaselineMb)):F1} | {alloc:F1} | " +
                        $"{alloc * 1024 * 1024 / Math.Max(1, replayed):F0} | {Program.Median(list.Select(o => o.RetainedMb)):F2} | " +
                        $"{Program.Median(list.Select(o => (double)o.Gen0)):F0}/{Program.Median(list.Select(o => (double)o.Gen1)):F0}/{Program.Median(list.Select(o => (double)o.Gen2)):F0} | " +
                        $"{Program.Median(list.Select(o => o.HwmMb)):F0} |"));
                }
        sb.AppendLine();
        foreach (var n in sizes)
            foreach (var snap in new[] { false, true })
                if (journals.Length == 2)
                {
                    var a = Program.Median(results[(journals[0], n, snap)].Select(o => o.Ms));
                    var b = Program.Median(results[(journals[1], n, snap)].Select(o => o.Ms));
                    sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"- {n:N0} events, {(snap ? "snapshot" : "no snapshot")}: {journals[0]} ÷ {journals[1]} recovery time = {a / b:F2}"));
                }
        Program.Report(options, sb.ToString());
        return 0;
    }

    private static string Id(long n, bool snapshot) => $"rec-{n}{(snapshot ? "-snap" : "")}";

    private static async Task PopulateAsync(ActorSystem system, string persistenceId, long events, long snapshotAt)
    {
        var actor = system.ActorOf(Props.Create(() => new PopulateActor(persistenceId)));
        var reply = await actor.Ask<object>(new Populate(events, snapshotAt), TimeSpan.FromMinutes(10));
        if (reply is Status.Failure f) throw new BenchException($"populating {persistenceId} failed: {f.Cause.Message}");
        await actor.GracefulStop(TimeSpan.FromSeconds(10));
    }

    private static async Task<One> SpawnAsync(Options options, string journal, string persistenceId)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        var self = typeof(RecoveryBench).Assembly.Location;
        if (!Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals(Path.GetFileNameWithoutExtension(self), StringComparison.Ordinal))
            start.ArgumentList.Add(self); // run as `dotnet <dll>`
        foreach (var a in new[] { "recover-one", "--journal", journal, "--pid", persistenceId }) start.ArgumentList.Add(a);
        foreach (var key in new[] { "redis", "key-prefix", "data-dir" })
            if (options.Get(key) is { } value) { start.ArgumentList.Add("--" + key); start.ArgumentList.Add(value); }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var line = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
            throw new BenchException($"recover-one {journal} {persistenceId} failed ({process.ExitCode}): {await stderr}");
        return JsonSerializer.Deserialize<One>(line)!;
    }

    /// <summary>The child: warm up on a small journal, then recover --pid once and print one JSON line.</summary>
    public static async Task<int> RecoverOneAsync(Options options)
    {
        var target = JournalTarget.From(options, options.Required("journal"));
        using var host = await target.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        await RecoverAsync(system, WarmId);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(true);
        var allocated = GC.GetTotalAllocatedBytes(true);
        var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var started = Stopwatch.GetTimestamp();
        var recovered = await RecoverAsync(system, options.Required("pid"));
        var ms = Stopwatch.GetElapsedTime(started, recovered.CompletedAt).TotalMilliseconds;
        allocated = GC.GetTotalAllocatedBytes(true) - allocated;
        var gcAfter = (GC.CollectionCount(0) - gcs.Item1, GC.CollectionCount(1) - gcs.Item2, GC.CollectionCount(2) - gcs.Item3);
        var retained = GC.GetTotalMemory(true) - baseline;
        const double mb = 1024 * 1024;
        var one = new One(recovered.Events, recovered.SnapshotSequenceNr, ms, recovered.PeakHeapBytes / mb, baseline / mb,
            allocated / mb, retained / mb, HighWaterMarkKb() / 1024.0, gcAfter.Item1, gcAfter.Item2, gcAfter.Item3);
        Console.WriteLine(JsonSerializer.Serialize(one));
        await host.StopAsync();
        return 0;
    }

    private static async Task<RecoveringActor.Recovered> RecoverAsync(ActorSystem system, string persistenceId)
    {
        var done = new TaskCompletionSource<RecoveringActor.Recovered>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = system.ActorOf(Props.Create(() => new ReplyActor(done)));
        system.ActorOf(Props.Create(() => new RecoveringActor(persistenceId, inbox)));
        return await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
    }

    private sealed class ReplyActor : ReceiveActor
    {
        public ReplyActor(TaskCompletionSource<RecoveringActor.Recovered> done) =>
            Receive<RecoveringActor.Recovered>(r => done.TrySetResult(r));
    }

    private static long HighWaterMarkKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return 0;
    }
}
