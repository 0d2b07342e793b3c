namespace Pharos.Bench.Persistence;

/// <summary>
/// bench/redis's benchmarks, one subcommand each: <c>write</c> (Persist/PersistAll throughput on both journals beside
/// redis-benchmark's rates), <c>recovery</c> (recovery time and memory, one child process per recovery, which runs
/// <c>recover-one</c>) and <c>commands</c> (Redis commands per accepted task and per idle minute of a running cloud
/// node). Each prints a Markdown section and appends it to <c>--out</c>.
/// </summary>
public static class Program
{
    private const string Usage = "usage: Pharos.Bench.Persistence (write | recovery | recover-one | commands) [options]; see bench/README.md";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return 2; }
        var options = Options.Parse(args[1..]);
        try
        {
            return args[0] switch
            {
                "write" => await WriteBench.RunAsync(options),
                "recovery" => await RecoveryBench.RunAsync(options),
                "recover-one" => await RecoveryBench.RecoverOneAsync(options),
                "commands" => await CommandsBench.RunAsync(options),
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

    /// <summary>Prints a report section and appends it to --out.</summary>
    public static void Report(Options options, string markdown)
    {
        Console.WriteLine(markdown);
        if (options.Get("out") is { } path) File.AppendAllText(path, markdown + Environment.NewLine);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

