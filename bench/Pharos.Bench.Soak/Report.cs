using System.Globalization;
using System.Text;

namespace Pharos.Bench.Soak;

/// <summary>Where the chart and the summary go, and what the summary says beside the series.</summary>
public sealed record ReportOptions(
    string OutPrefix,
    double? WarmupMinutes,
    string? ChartCopy,
    string Title,
    string Setup,
    IReadOnlyDictionary<string, Totals>? Totals = null,
    string? LoadBefore = null,
    string? LoadAfter = null)
{
    public static ReportOptions From(Options options) => new(
        options.Required("out"),
        options.Get("warmup-minutes") is null ? null : options.Double("warmup-minutes", 5),
        options.Get("chart-copy"),
        options.Get("title") ?? "Pharos soak",
        options.Get("setup") ?? "");
}

/// <summary>
/// The chart (<c>--out</c>.png and .svg, copied to <c>--chart-copy</c>) and the Markdown summary (<c>--out</c>.md,
/// also printed). The warm-up is the first <c>min(5, minutes / 4)</c> minutes unless <c>--warmup-minutes</c> says;
/// every figure of the summary is taken after it.
/// </summary>
public static class Report
{
    /// <summary>RSS goal: every sample after the warm-up within this share of their median.</summary>
    public const double RssBand = 0.10;

    /// <summary>Storage goal: the least-squares trend moves the level by less than this share of it per hour.</summary>
    public const double StorageSlopePerHour = 0.10;

    /// <summary>p99 goal: the last quarter's median at most this many times the first quarter's (or 2 ms more).</summary>
    public const double P99Growth = 1.5;

    public static void Write(IReadOnlyList<Sample> samples, ReportOptions options)
    {
        if (samples.Count == 0) throw new BenchException("no samples");
        var minutes = samples.Max(s => s.Minutes);
        var warmup = options.WarmupMinutes ?? Math.Min(5, minutes / 4);
        var backends = samples.Select(s => s.Backend).Distinct().ToArray();

        var png = options.OutPrefix + ".png";
        Chart.Draw(samples, backends, warmup, options.Title, png, options.OutPrefix + ".svg");
        if (options.ChartCopy is { } copy)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(copy))!);
            File.Copy(Path.GetExtension(copy) == ".svg" ? options.OutPrefix + ".svg" : png, copy, overwrite: true);
        }

        var md = Summary(samples, backends, minutes, warmup, options);
        File.WriteAllText(options.OutPrefix + ".md", md);
        Console.WriteLine(md);
        Program.Log($"written {options.OutPrefix}.png, .svg and .md{(options.ChartCopy is null ? "" : $"; chart copied to {options.ChartCopy}")}");
    }

    private static string Summary(IReadOnlyList<Sample> samples, string[] backends, double minutes, double warmup, ReportOptions options)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## {options.Title}, {samples[0].TimeUtc:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        if (options.Setup.Length > 0) md.AppendLine(options.Setup).AppendLine();
        md.AppendLine(
            $"{minutes:0.#} minutes sampled every {Interval(samples):0} s; warm-up: the first {warmup:0.##} min (shaded in the chart), " +
            "left out of every figure below." +
            (options.LoadBefore is null ? "" : $" Load average before: {options.LoadBefore}, after: {options.LoadAfter}."));
        md.AppendLine();

        var rows = new List<string[]>();
        var goals = new List<string[]>();
        foreach (var backend in backends)
        {
            var all = samples.Where(s => s.Backend == backend).OrderBy(s => s.Minutes).ToList();
            var post = all.Where(s => s.Minutes >= warmup && s.Minutes > 0).ToList();
            if (post.Count < 2)
            {
                rows.Add([backend, "fewer than 2 samples after the warm-up", "", "", "", "", "", "", "", ""]);
                continue;
            }
            var t = post.Select(s => s.Minutes / 60).ToArray(); // hours

            var rss = post.Select(s => s.RssMb).ToArray();
            var rssMedian = Stats.Median(rss);
            var rssDev = rss.Where(v => !double.IsNaN(v)).Select(v => Math.Abs(v - rssMedian)).DefaultIfEmpty(double.NaN).Max() / rssMedian;
            var heap = post.Select(s => s.GcHeapMb).ToArray();

            var storage = post.Select(s => s.StorageMb).ToArray();
            var storageFirst = storage.FirstOrDefault(v => !double.IsNaN(v), double.NaN);
            var storageLast = storage.LastOrDefault(v => !double.IsNaN(v), double.NaN);
            var storageSlope = Stats.Slope(t, storage); // MB per hour
            var storageMedian = Stats.Median(storage);
            var storageRel = Math.Abs(storageSlope) / storageMedian;

            var journal = post.Select(s => s.JournalRows).Where(v => !double.IsNaN(v)).ToArray();
            var journalSlope = Stats.Slope(t, post.Select(s => s.JournalRows).ToArray());

            var quarter = Math.Max(1, post.Count / 4);
            var p99First = Stats.Median(post.Take(quarter).Select(s => s.P99Ms));
            var p99Last = Stats.Median(post.TakeLast(quarter).Select(s => s.P99Ms));
            var p99Max = MaxOf(post.Select(s => s.P99Ms));

            var requests = post.Sum(s => s.Requests);
            var windowStart = all.LastOrDefault(s => s.Minutes < post[0].Minutes)?.Minutes ?? post[0].Minutes;
            var seconds = (post[^1].Minutes - windowStart) * 60;

            rows.Add([
                backend,
                $"{MinOf(rss):0.0} / {MaxOf(rss):0.0} (median {rssMedian:0.0})",
                $"{rssDev * 100:0.0} %",
                $"{MinOf(heap):0.0} / {MaxOf(heap):0.0} (median {Stats.Median(heap):0.0})",
                $"{storageFirst:0.00} → {storageLast:0.00}",
                $"{storageSlope:+0.00;-0.00} MB/h ({storageRel * 100:0.#} %/h of {storageMedian:0.00} MB)",
                journal.Length == 0 ? "n/a" : $"{journal.Min():0} / {journal.Max():0} ({journalSlope:+0;-0}/h)",
                $"{p99First:0.0} → {p99Last:0.0} (max {p99Max:0.0})",
                $"{requests / Math.Max(1, seconds):0} req/s, {post.Sum(s => s.Accepted)} accepted, {post.Sum(s => s.Cancelled)} cancelled, " +
                $"{post.Sum(s => s.RealCompleted)} real completed, {post.Sum(s => s.RealFailed)} real not completed, {post.Sum(s => s.Errors)} errors",
            ]);

            // NaN (nothing measured) compares false: not met.
            var rssMet = rssDev <= RssBand;
            var storageMet = storageRel <= StorageSlopePerHour;
            var p99Met = !double.IsNaN(p99First) && !double.IsNaN(p99Last) && p99Last <= Math.Max(P99Growth * p99First, p99First + 2);
            goals.Add([
                backend,
                Met(rssMet, $"max deviation {rssDev * 100:0.0} %"),
                Met(storageMet, $"{storageRel * 100:0.#} % of the level per hour"),
                Met(p99Met, $"{p99First:0.0} → {p99Last:0.0} ms"),
            ]);
        }

        md.AppendLine("| backend | RSS MB min / max | RSS max deviation from median | GC heap MB min / max | storage MB first → last | storage trend | journal rows min / max (trend) | p99 ms first → last quarter (median) | churn after the warm-up |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows) md.AppendLine("| " + string.Join(" | ", row) + " |");
        md.AppendLine();
        md.AppendLine(
            $"Goals: RSS within ±{RssBand * 100:0} % of its median after the warm-up; storage flat (the least-squares trend moves it by at most " +
            $"{StorageSlopePerHour * 100:0} % of its median level per hour); p99 flat (the last quarter's median p99 at most {P99Growth:0.#}× " +
            "the first quarter's, or 2 ms more).");
        md.AppendLine();
        md.AppendLine("| backend | RSS ±10 % | storage flat | p99 flat |");
        md.AppendLine("|---|---|---|---|");
        foreach (var goal in goals) md.AppendLine("| " + string.Join(" | ", goal) + " |");

        if (options.Totals is { } totals)
        {
            md.AppendLine();
            md.AppendLine("Churn over the whole run (warm-up included):");
            md.AppendLine();
            md.AppendLine("| backend | requests | errors (no answer, 5xx) | accepted | cancelled | cancel too late (409/404) | 429 | real completed | real not completed | slots dropped (> 1 s behind) | unexpected answers |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var (name, x) in totals)
                md.AppendLine(
                    $"| {name} | {x.Requests} | {x.Errors} | {x.Accepted} | {x.Cancelled} | {x.CancelMissed} | {x.QueueFull} | {x.RealCompleted} | " +
                    $"{x.RealFailed} | {x.SlotsDropped} | {(x.Unexpected.Length == 0 ? "none" : x.Unexpected)} |");
        }
        return md.ToString();

        static string Met(bool met, string detail) => (met ? "**met**" : "**not met**") + $" ({detail})";
        static double MinOf(IEnumerable<double> values) => values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Min();
        static double MaxOf(IEnumerable<double> values) => values.Where(v => !double.IsNaN(v)).DefaultIfEmpty(double.NaN).Max();
    }

    private static double Interval(IReadOnlyList<Sample> samples)
    {
        var times = samples.Select(s => s.Minutes).Distinct().OrderBy(m => m).ToArray();
        return times.Length < 2 ? double.NaN : Stats.Median(times.Zip(times.Skip(1), (a, b) => (b - a) * 60));
    }
}
