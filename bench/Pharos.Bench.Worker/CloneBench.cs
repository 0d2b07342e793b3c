using System.Diagnostics;
using System.Text;
using Pharos.Actors.Edge;
using Pharos.Testing.Git;

namespace Pharos.Bench.Worker;

/// <summary>
/// LibGit2Sharp (<see cref="RepositoryCloner.Clone"/>, what the edge's CloneActor runs) against <c>git clone</c> on the
/// same repository over the same transport: smart HTTP (shallow on both sides: the cloner's depth 1 and
/// <c>--depth 1</c>), git:// (full on both sides), a local path and file:// (full on both sides). Each repository is a
/// copy of a real package committed once and packed with <c>git gc</c>, served from the bench's work directory.
/// One warm-up clone of each kind, then <c>--runs</c> timed runs alternating which side goes first; medians.
/// </summary>
public static class CloneBench
{
    private sealed record Row(string Repo, int Files, string Transport, List<double> Ours, List<double> Cli, long ReceivedBytes, bool Shallow);

    public static async Task<int> RunAsync(Options options)
    {
        var work = Path.GetFullPath(options.Required("work"));
        var runs = options.Int("runs", 5);
        var only = options.Get("transports")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                   ?? ["http", "git", "path", "file"];
        var repos = options.All("repo").Select(spec => spec.Split('=', 2)).Select(p => (Name: p[0], Source: p[1])).ToList();
        if (repos.Count == 0) throw new BenchException("give at least one --repo NAME=DIR");

        var served = Path.Combine(work, "served");
        var clones = Path.Combine(work, "clones");
        Directory.CreateDirectory(served);
        Directory.CreateDirectory(clones);

        var files = new Dictionary<string, int>();
        foreach (var (name, source) in repos)
        {
            Log($"preparing {name} from {source}");
            files[name] = Prepare(source, Path.Combine(served, name));
        }

        using var daemon = await GitDaemon.StartAsync(served);
        await using var http = await SmartHttpGitServer.StartAsync(served);
        Log($"git daemon on {daemon.Port}, smart HTTP at {http.BaseAddress}");

        var rows = new List<Row>();
        var loadBefore = Stats.LoadAverage();
        foreach (var (name, _) in repos)
        {
            var local = Path.Combine(served, name);
            var head = Run.Git(local, "rev-parse", "HEAD");
            foreach (var transport in only)
            {
                var url = transport switch
                {
                    "http" => http.UrlFor(name),
                    "git" => daemon.UrlFor(name),
                    "path" => local,
                    "file" => new Uri(local).AbsoluteUri,
                    _ => throw new BenchException($"unknown transport '{transport}' (http, git, path, file)"),
                };
                string[] cliArgs = transport == "http" ? ["clone", "-q", "--depth", "1", url] : ["clone", "-q", url];
                var row = new Row(name, files[name], transport, [], [], 0, false);
                var counter = 0;

                (double Seconds, CloneResult Result) Ours()
                {
                    var target = Path.Combine(clones, $"ours-{name}-{transport}-{counter++}");
                    var sw = Stopwatch.StartNew();
                    var result = RepositoryCloner.Clone(new CloneRequest(url, target, 0, Timeout.InfiniteTimeSpan, null) { AllowInternalAddresses = true }, null, CancellationToken.None);
                    var seconds = sw.Elapsed.TotalSeconds;
                    if (result.CommitSha != head) throw new BenchException($"LibGit2Sharp cloned {result.CommitSha}, expected {head}");
                    WorkDirectories.Delete(target);
                    return (seconds, result);
                }

                double Cli()
                {
                    var target = Path.Combine(clones, $"cli-{name}-{transport}-{counter++}");
                    var (seconds, _) = Run.Timed("git", clones, [.. cliArgs, target]);
                    var cloned = Run.Git(target, "rev-parse", "HEAD");
                    if (cloned != head) throw new BenchException($"git cloned {cloned}, expected {head}");
                    WorkDirectories.Delete(target);
                    return seconds;
                }

                // Warm-up: the first clone of each kind loads libgit2 and JITs the cloner, and warms the page cache.
                var warm = Ours();
                Cli();
                row = row with { ReceivedBytes = warm.Result.ReceivedBytes, Shallow = warm.Result.Shallow };
                for (var i = 0; i < runs; i++)
                {
                    if (i % 2 == 0) { row.Ours.Add(Ours().Seconds); row.Cli.Add(Cli()); }
                    else { row.Cli.Add(Cli()); row.Ours.Add(Ours().Seconds); }
                }
                Log($"{name} over {transport}: LibGit2Sharp {Stats.F(Stats.Median(row.Ours))} s, git {Stats.F(Stats.Median(row.Cli))} s " +
                    $"(runs: {string.Join(" ", row.Ours.Select(x => Stats.F(x)))} | {string.Join(" ", row.Cli.Select(x => Stats.F(x)))})");
                rows.Add(row);
            }
        }

        Stats.Write(Render(rows, runs, loadBefore, Stats.LoadAverage()), options.Get("out"), "clone-bench");
        return 0;
    }

    /// <summary>
    /// Copies the package (without bytecode caches) into a fresh repository at <paramref name="target"/>, or into its
    /// subdirectory <paramref name="within"/>, commits it once and packs it; returns the file count.
    /// </summary>
    internal static int Prepare(string source, string target, string? within = null)
    {
        if (Directory.Exists(target)) WorkDirectories.Delete(target);
        var into = within is null ? target : Path.Combine(target, within);
        Directory.CreateDirectory(into);
        Run.Command("cp", ".", ["-a", source.TrimEnd('/') + "/.", into + "/"]);
        foreach (var cache in Directory.EnumerateDirectories(target, "__pycache__", SearchOption.AllDirectories).ToList())
            Directory.Delete(cache, recursive: true);
        Run.Git(target, "init", "-q");
        Run.Git(target, "add", "-A", "-f");
        Run.Git(target, "commit", "-q", "-m", "import");
        Run.Git(target, "gc", "-q");
        return Run.Git(target, "ls-files").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private static string Render(List<Row> rows, int runs, string loadBefore, string loadAfter)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## Clone: LibGit2Sharp (RepositoryCloner) against the git CLI — {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        sb.AppendLine();
        sb.AppendLine($"{Stats.Machine()}. Median of {runs} warm runs each (after one warm-up of each), alternating which goes first.");
        sb.AppendLine("LibGit2Sharp is timed in process around `RepositoryCloner.Clone` (checkout included); the CLI from process start to exit (`git clone -q`, checkout included).");
        sb.AppendLine("Servers (git daemon, smart HTTP via `git http-backend` behind Kestrel) run on loopback; the HTTP server is in the bench process.");
        sb.AppendLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.");
        sb.AppendLine();
        sb.AppendLine("| repo | files | transport | mode (both sides) | received | LibGit2Sharp s (min–max) | git CLI s (min–max) | ratio ours / CLI | goal ≤ 1.3 |");
        sb.AppendLine("|---|---:|---|---|---:|---:|---:|---:|---|");
        foreach (var r in rows)
        {
            var ratio = Stats.Median(r.Ours) / Stats.Median(r.Cli);
            var mode = r.Transport switch
            {
                "http" => r.Shallow ? "shallow (depth 1)" : "full (server refused depth)",
                "path" => "full, local (hard links)",
                _ => "full",
            };
            var received = r.ReceivedBytes > 0 ? $"{r.ReceivedBytes / 1048576.0:0.0} MB" : "—";
            sb.AppendLine($"| {r.Repo} | {r.Files} | {r.Transport} | {mode} | {received} | {Stats.F(Stats.Median(r.Ours))} ({Stats.F(r.Ours.Min())}–{Stats.F(r.Ours.Max())}) " +
                          $"| {Stats.F(Stats.Median(r.Cli))} ({Stats.F(r.Cli.Min())}–{Stats.F(r.Cli.Max())}) | {Stats.F(ratio, "0.00")} | {Stats.Met(ratio <= 1.3)} |");
        }
        return sb.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[clone-bench {DateTime.Now:HH:mm:ss}] {message}");
}
