namespace Pharos.Bench.Worker;

/// <summary>Medians and percentiles of small samples (nearest rank), and the Markdown helpers.</summary>
public static class Stats
{
    public static double Median(IReadOnlyCollection<double> values) => Percentile(values, 50);

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
        double.IsNaN(value) ? "n/a" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

    public static string Met(bool met) => met ? "yes" : "**no**";

    public static void Write(string report, string? outFile, string tag)
    {
        Console.Out.Write(report);
        if (outFile is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        File.WriteAllText(outFile, report);
        Console.Error.WriteLine($"[{tag}] wrote {outFile}");
    }

    public static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores ({Cpu()}), .NET {Environment.Version}, git {GitVersion()}";

    private static string Cpu()
    {
        try { return File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name")).Split(':', 2)[1].Trim(); }
        catch (Exception) { return "unknown CPU"; }
    }

    private static string GitVersion()
    {
        try { return Run.Command("git", ".", ["--version"]).Replace("git version ", ""); }
        catch (BenchException) { return "?"; }
    }
}
