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

