using Pharos.Testing.Git;


namespace Pharos.Bench.Worker;

/// <summary>
/// One executable for the edge worker's benchmarks; each bench/&lt;name&gt;/run.sh runs one subcommand:
/// <c>clone</c> (bench/clone), <c>dispatch</c> (bench/dispatch), <c>e2e</c> (bench/e2e), <c>jobs</c> (bench/jobs) and <c>serve-http</c>
/// (git's smart HTTP for bench/e2e, the same server the clone bench uses).
/// </summary>
public static class Program
{
    private const string Usage = "usage: Pharos.Bench.Worker (clone | dispatch | e2e | jobs | serve-http) [options]; see bench/README.md";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return 2; }
        var options = Options.Parse(args[1..]);
        try
        {
            return args[0] switch
            {
                "clone" => await CloneBench.RunAsync(options),
                "dispatch" => await DispatchBench.RunAsync(options),
                "e2e" => await EndToEndBench.RunAsync(options),
                "jobs" => await JobsBench.RunAsync(options),
                "serve-http" => await ServeHttpAsync(options),
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

    /// <summary>
    /// Serves every repository under --root over smart HTTP until stopped (SIGTERM), on a free loopback port it picks
    /// itself and prints once it listens (<c>serving ROOT at URL</c>).
    /// </summary>
    private static async Task<int> ServeHttpAsync(Options options)
    {
        await using var server = await SmartHttpGitServer.StartAsync(options.Required("root"));
        Console.WriteLine($"serving {options.Required("root")} at {server.BaseAddress}");
        var stop = new TaskCompletionSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
        await stop.Task;
        return 0;
    }
}

