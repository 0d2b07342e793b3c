using System.Globalization;

namespace Pharos.Testing.Nodes;

/// <summary>The processes a process started (read from /proc): a node's job processes, a test's shell jobs.</summary>
public static class ChildProcesses
{
    /// <summary>Running children of <paramref name="parentPid"/> whose command line contains all of <paramref name="words"/>.</summary>
    public static IReadOnlyList<int> Of(int parentPid, params string[] words) => [.. Directory.EnumerateDirectories("/proc")
        .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
        .Where(pid => pid > 0 && Stat(pid) is { } stat && stat.Parent == parentPid && stat.State != 'Z')
        .Where(pid => CommandLine(pid) is { } words_ && words.All(w => words_.Contains(w)))];

    /// <summary>A node's job processes (<c>&lt;node&gt; job clone|analyze</c>).</summary>
    public static IReadOnlyList<int> JobsOf(int nodePid) => Of(nodePid, "job");

    /// <summary>Whether <paramref name="pid"/> still runs (a zombie, dead but not yet reaped, does not).</summary>
    public static bool IsRunning(int pid) => Stat(pid) is { State: not 'Z' };

    private static (char State, int Parent)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name in parentheses may hold spaces: the fields after it are what counts.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static string[]? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
