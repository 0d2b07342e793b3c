using System.Diagnostics;
using System.Text.Json;

namespace Pharos.Bench.Soak;

/// <summary>
/// <c>run</c>: one churn client and one sampler per backend (<c>--backends sqlite,redis</c>, each described by
/// <c>--NAME-url</c>, <c>-token</c>, <c>-pid</c>, <c>-data-dir</c>, <c>-sqlite</c> or <c>-redis</c> and
/// <c>-redis-prefix</c>, <c>-real-repos</c>), all started at once; a sample of every backend at the start and every
/// <c>--interval</c> seconds until <c>--minutes</c> have passed, appended to <c>--out</c>.csv as it is taken; then the
/// chart and the summary (<see cref="Report"/>).
/// </summary>
public static class SoakRun
{
    public static async Task RunAsync(Options options)
    {
        var minutes = options.Double("minutes", 60);
        var interval = options.Double("interval", 10);
        var backends = options.Required("backends").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var report = ReportOptions.From(options);
        // One directory that is not a git repository, asked for at a distinct ref per task: an edge that takes one starts
        // a clone job process, which fails (a missing directory would fail before any process, and the edge would take
        // every churn task at once, leaving none to cancel).
        var churnRepo = options.Required("churn-repo");
        if (!Directory.Exists(churnRepo) || Directory.Exists(Path.Combine(churnRepo, ".git")))
            throw new BenchException($"--churn-repo {churnRepo} must be a directory that is not a git repository (the churn's tasks must fail if an edge takes one)");

        var churns = new List<Churn>();
        var samplers = new List<Sampler>();
        try
        {
            foreach (var name in backends)
            {
                var url = new Uri(options.Required($"{name}-url"));
                var token = options.Required($"{name}-token");
                var max = await QueueMaxAsync(url);
                var settings = new ChurnSettings(
                    Rate: options.Double("rate", 100),
                    // Enough lanes that a slow answer (an fsync on a busy disk) does not lower the rate: 16 in flight at most.
                    Lanes: options.Int("lanes", 16),
                    // Room for the real tasks: they must never meet a queue the churn filled.
                    ChurnLive: options.Int("churn-live", Math.Max(1, max - Math.Max(1, options.Int("real-live", 1)) - 1)),
                    RealLive: options.Int("real-live", 1),
                    RealGapSeconds: options.Double("real-gap", 5),
                    RunTag: DateTime.UtcNow.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture));
                var realRepos = options.Required($"{name}-real-repos").Split(',', StringSplitOptions.RemoveEmptyEntries);
                churns.Add(new Churn(name, url, token, churnRepo, realRepos, settings));
                samplers.Add(Sampler.Create(name, options, url));
                Program.Log($"{name}: {url}, queue cap {max}, churn {settings.Rate:0} operations/s on {settings.Lanes} lanes " +
                            $"(up to {settings.ChurnLive} churn tasks live), {settings.RealLive} real task(s) at a time, {settings.RealGapSeconds:0.#} s apart");
            }

            var csv = report.OutPrefix + ".csv";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csv))!);
            await using var writer = new StreamWriter(csv) { AutoFlush = true };
            await writer.WriteLineAsync(Series.Header);
            var samples = new List<Sample>();

            var loadBefore = LoadAverage();
            using var stop = new CancellationTokenSource();
            var clock = Stopwatch.StartNew();
            await SampleAllAsync(0); // before the churn: the nodes as they started
            var running = churns.Select(c => c.RunAsync(stop.Token)).ToArray();
            var duration = TimeSpan.FromMinutes(minutes);
            for (var k = 1; ; k++)
            {
                var due = TimeSpan.FromSeconds(k * interval);
                if (due > duration + TimeSpan.FromSeconds(interval / 2)) break;
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                await SampleAllAsync(clock.Elapsed.TotalMinutes);
            }
            await stop.CancelAsync();
            await Task.WhenAll(running);
            var loadAfter = LoadAverage();

            var totals = churns.ToDictionary(c => c.Name, c => c.TotalsNow());
            Report.Write(samples, report with { Totals = totals, LoadBefore = loadBefore, LoadAfter = loadAfter });

            async Task SampleAllAsync(double at)
            {
                var figures = await Task.WhenAll(samplers.Select(s => s.SampleAsync()));
                for (var i = 0; i < samplers.Count; i++)
                {
                    var w = at == 0 ? new Window(0, double.NaN, double.NaN, 0, 0, 0, 0, 0, 0) : churns[i].TakeWindow();
                    var f = figures[i];
                    var sample = new Sample(DateTime.UtcNow, samplers[i].Name, at, f.RssMb, f.GcHeapMb, f.JournalRows, f.StorageMb,
                        w.P99Ms, w.P50Ms, w.Requests, w.Errors, w.Accepted, w.Cancelled, w.QueueFull, w.RealCompleted, w.RealFailed,
                        f.Pending, f.DataDirMb);
                    samples.Add(sample);
                    await writer.WriteLineAsync(Series.ToCsv(sample));
                    Program.Log($"{sample.Backend,-6} {at,6:0.0} min  RSS {f.RssMb,6:0.0} MB  GC heap {f.GcHeapMb,6:0.0} MB  " +
                                $"journal {f.JournalRows,8:0} rows {f.StorageMb,7:0.00} MB  p99 {w.P99Ms,7:0.0} ms  " +
                                $"{w.Requests / (at == 0 ? 1 : interval),5:0} req/s  +{w.Accepted} -{w.Cancelled} " +
                                $"real {w.RealCompleted}/{w.RealFailed} err {w.Errors}");
                }
            }
        }
        finally
        {
            foreach (var c in churns) c.Dispose();
            foreach (var s in samplers) s.Dispose();
        }
    }

    /// <summary>The queue's cap, from <c>GET /worker/status</c> (<c>queue.max</c>).</summary>
    private static async Task<int> QueueMaxAsync(Uri url)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        using var doc = JsonDocument.Parse(await http.GetStringAsync("/worker/status"));
        return doc.RootElement.GetProperty("queue").GetProperty("max").GetInt32();
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
