using System.Diagnostics;

namespace Pharos.Bench.Worker;

// The git servers (GitDaemon, SmartHttpGitServer) come from tests/Pharos.Actors.Tests/Support/GitServers.cs, linked
// into this project. What the benchmarks need beyond them is here: commands that fail with a BenchException (one line
// in the report, exit code 3) instead of a stack trace, and a timed run of a command.

/// <summary>Runs git and other commands; throws a <see cref="BenchException"/> with their output when they fail.</summary>
public static class Run
{
    public static string Git(string workingDirectory, params string[] args) =>
        Command("git", workingDirectory, ["-c", "user.name=Pharos Bench", "-c", "user.email=bench@pharos.invalid",
            "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", .. args]);

    public static string Command(string file, string workingDirectory, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = StartInfo(file, workingDirectory, args);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new BenchException($"{file} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new BenchException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {stderr.Result}{stdout}");
        return stdout.Trim();
    }

    /// <summary>Seconds from just before the process is started to its exit; throws when it fails.</summary>
    public static (double Seconds, string Stdout) Timed(string file, string workingDirectory, IEnumerable<string> args)
    {
        var psi = StartInfo(file, workingDirectory, args);
        var start = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi) ?? throw new BenchException($"{file} did not start");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        p.WaitForExit();
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (p.ExitCode != 0)
            throw new BenchException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {stderr.Result}");
        return (seconds, stdout.Result);
    }

    private static ProcessStartInfo StartInfo(string file, string workingDirectory, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
