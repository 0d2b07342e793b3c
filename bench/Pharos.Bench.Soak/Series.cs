using System.Globalization;

namespace Pharos.Bench.Soak;

/// <summary>
/// One sample of one backend: the cloud node's figures at <see cref="Minutes"/> since the churn started, and the churn
/// client's own over the window that ended then. NaN where there was nothing to measure (no request answered in the
/// window, a figure the node did not give).
/// </summary>
public sealed record Sample(
    DateTime TimeUtc,
    string Backend,
    double Minutes,
    double RssMb,
    double GcHeapMb,
    double JournalRows,
    double StorageMb,
    double P99Ms,
    double P50Ms,
    int Requests,
    int Errors,
    int Accepted,
    int Cancelled,
    int QueueFull,
    int RealCompleted,
    int RealFailed,
    double Pending,
    double DataDirMb);

/// <summary>The CSV the run writes, one row per backend and sample, and reads back for <c>report</c>.</summary>
public static class Series
{
    public const string Header =
        "time_utc,backend,minutes,rss_mb,gc_heap_mb,journal_rows,storage_mb,p99_ms,p50_ms,requests,errors,accepted," +
        "cancelled,queue_full,real_completed,real_failed,pending,data_dir_mb";

    public static string ToCsv(Sample s) => string.Join(',',
        s.TimeUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), s.Backend, F(s.Minutes, "0.000"),
        F(s.RssMb, "0.0"), F(s.GcHeapMb, "0.0"), F(s.JournalRows, "0"), F(s.StorageMb, "0.000"), F(s.P99Ms, "0.00"),
        F(s.P50Ms, "0.00"), s.Requests, s.Errors, s.Accepted, s.Cancelled, s.QueueFull, s.RealCompleted, s.RealFailed,
        F(s.Pending, "0"), F(s.DataDirMb, "0.000"));

    /// <summary>A number in the invariant culture; empty for NaN.</summary>
    private static string F(double value, string format) =>
        double.IsNaN(value) ? "" : value.ToString(format, CultureInfo.InvariantCulture);

    public static List<Sample> ReadCsv(string path)
    {
        if (!File.Exists(path)) throw new BenchException($"{path} does not exist");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new BenchException($"{path} is not a soak CSV (header: {Header})");
        return lines.Skip(1).Where(l => l.Length > 0).Select(Parse).ToList();

        static Sample Parse(string line)
        {
            var c = line.Split(',');
            double D(int i) => c[i].Length == 0 ? double.NaN : double.Parse(c[i], CultureInfo.InvariantCulture);
            int I(int i) => int.Parse(c[i], CultureInfo.InvariantCulture);
            return new Sample(
                DateTime.Parse(c[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                c[1], D(2), D(3), D(4), D(5), D(6), D(7), D(8), I(9), I(10), I(11), I(12), I(13), I(14), I(15), D(16), D(17));
        }
    }
}

/// <summary>Order statistics and a least-squares slope.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

    /// <summary>The q-quantile (nearest rank) of the values that are not NaN; NaN when there are none.</summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        if (q == 0.5 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The slope of the least-squares line through the points whose y is not NaN; NaN with fewer than two.</summary>
    public static double Slope(IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        var points = xs.Zip(ys).Where(p => !double.IsNaN(p.Second)).ToArray();
        if (points.Length < 2) return double.NaN;
        var mx = points.Average(p => p.First);
        var my = points.Average(p => p.Second);
        var sxx = points.Sum(p => (p.First - mx) * (p.First - mx));
        return sxx == 0 ? double.NaN : points.Sum(p => (p.First - mx) * (p.Second - my)) / sxx;
    }
}
