using System.Globalization;

namespace Pharos.Bench.Results;

/// <summary>
/// The result benchmarks, one subcommand each: <c>delivery</c> (bench/delivery: an edge member of a real cloud node's
/// cluster delivers a result to its intake, beside a plain TCP copy to <c>tcp-sink</c>, which runs in a process of its
/// own) and <c>similar</c> (bench/similar: similar-files latency in process, through GET /repos/similar and in numpy).
/// </summary>
public static class Program
{
    private const string Usage = "usage: Pharos.Bench.Results (delivery | tcp-sink | similar) [options]; see bench/README.md";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return 2; }
        var options = Options.Parse(args[1..]);
        try
        {
            return args[0] switch
            {
                "delivery" => await DeliveryBench.RunAsync(options),
                "tcp-sink" => await TcpCopy.ServeAsync(options),
                "similar" => await SimilarBench.RunAsync(options),
                _ => Usage2(),
            };
        }
        catch (BenchException e)
        {
            Console.Error.WriteLine($"[bench] {e.Message}");
            return 3;
        }

        static int Usage2() { Console.Error.WriteLine(Usage); return 2; }
    }
}

/// <summary>Percentiles (nearest rank), number formatting and the report's file.</summary>
public static class Stats
{
    public static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        if (p >= 100) return sorted[^1];
        if (p == 50 && sorted.Length % 2 == 0) return (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string F(double value, string format = "0.000") =>
        double.IsNaN(value) || double.IsInfinity(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    public static double Ms(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;

    /// <summary>Prints the report and appends it to <paramref name="outFile"/> (run.sh writes the file's heading).</summary>
    public static void Write(string report, string? outFile)
    {
        Console.Out.Write(report);
        if (outFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        File.AppendAllText(outFile, report);
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string Machine() => $"{Environment.ProcessorCount} cores ({Cpu()}), .NET {Environment.Version}";

    private static string Cpu()
    {
        try { return File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim(); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { return "unknown CPU"; }
    }

    public static void Log(string tag, string message) => Console.Error.WriteLine($"[{tag} {DateTime.Now:HH:mm:ss}] {message}");
}
