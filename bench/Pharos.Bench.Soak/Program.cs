using System.Globalization;

namespace Pharos.Bench.Soak;

/// <summary>
/// bench/soak: <c>run</c> churns against the cloud nodes run.sh started (one per backend), samples them every
/// <c>--interval</c> seconds into a CSV, then draws the chart and writes the summary; <c>report</c> draws the chart and
/// writes the summary again from a CSV of an earlier run.
/// </summary>
public static class Program
{
    private const string Usage = "usage: Pharos.Bench.Soak (run | report) [options]; see bench/README.md";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return 2; }
        try
        {
            var options = Options.Parse(args[1..]);
            switch (args[0])
            {
                case "run":
                    await SoakRun.RunAsync(options);
                    return 0;
                case "report":
                    Report.Write(Series.ReadCsv(options.Required("csv")), ReportOptions.From(options));
                    return 0;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (BenchException e)
        {
            Console.Error.WriteLine($"[soak] {e.Message}");
            return 3;
        }
    }

    public static void Log(string message) =>
        Console.Error.WriteLine($"[soak {DateTime.Now:HH:mm:ss}] {message}");
}

/// <summary>A failure the bench reports in one line (exit code 3) instead of a stack trace.</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary><c>--name value</c> pairs.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new BenchException($"unexpected argument '{args[i]}'");
            var name = args[i][2..];
            options._values[name] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }
        return options;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);
    public string Required(string name) => Get(name) ?? throw new BenchException($"--{name} is required");

    public int Int(string name, int fallback) =>
        Get(name) is { } text ? int.TryParse(text, out var v) ? v : throw new BenchException($"--{name} must be a whole number") : fallback;

    public double Double(string name, double fallback) =>
        Get(name) is { } text
            ? double.TryParse(text, CultureInfo.InvariantCulture, out var v) ? v : throw new BenchException($"--{name} must be a number")
            : fallback;
}
