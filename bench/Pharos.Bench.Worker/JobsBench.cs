using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Pharos.Actors.Configuration;
using Pharos.Actors.Edge;
using Pharos.Actors.Edge.Jobs;
using Pharos.Actors.Results;
using Pharos.Bench.Results;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Results;
using Pharos.Testing.Git;

namespace Pharos.Bench.Worker;

/// <summary>
/// What running a task's stages in job processes costs. On the same served repositories, each round runs one task
/// (a) in process, as <see cref="JobHost"/> runs it inside its child: <see cref="RepositoryCloner.Clone"/>, then
/// <see cref="RepositoryEmbedder.Embed"/>, <see cref="ResultBundles.Of"/> and <see cref="Outbox.Put"/>; (b) as the
/// worker runs it: two job processes through <see cref="JobProcess.RunAsync"/> with the orders CloneActor and
/// TrainActor send and the limits they set; (c) a job process that fails at once (the analysis of a missing
/// directory): the start, the order, the answer and the exit alone. One warm-up round, then <c>--runs</c> rounds,
/// (a) and (b) alternating which goes first so that the machine's noise reaches both. The settings are an edge's
/// defaults (<see cref="WorkerSettings.From"/> over an empty configuration), threads included (one per core).
/// </summary>
public static class JobsBench
{
    /// <summary>One task's seconds: clone and analysis stages, and within the analysis the marks its progress gives.</summary>
    /// <param name="FirstLine">From the start of the analysis stage to its first progress line ("Parsing..."): for
    /// a job process, its start, its runtime's, and the order's way in.</param>
    /// <param name="Parse">From "Parsing..." to "Training... 0%".</param>
    /// <param name="Train">From "Training... 0%" to the start of storing.</param>
    /// <param name="Store">From there to the end of the stage: the bundle into the outbox, and for a job process
    /// its last line and its exit.</param>
    private sealed record Sample(double Cloning, double Analyze, double FirstLine, double Parse, double Train, double Store,
        int Files, int Edges, long BundleBytes)
    {
        public double Total => Cloning + Analyze;
    }

    /// <summary>
    /// How a task is run: in this process (no runner), or in job processes started by <paramref name="Runner"/>, with
    /// <paramref name="Spares"/> as the edge starts them (<see cref="JobSpares"/>) or each started when its order comes.
    /// </summary>
    private sealed record Way(string Name, JobRunner? Runner, string Description, bool Spares = true)
    {
        public List<Sample> Samples { get; } = [];
        /// <summary>Seconds of a job process that fails at once (none in process).</summary>
        public List<double> FailFast { get; } = [];
    }

    private sealed record Case(string Repo, int Files, long SourceBytes, int? ExpectedEdges, int Threads, List<Way> Ways)
    {
        public Way InProcess => Ways[0];
        public Way Jobs => Ways[1];
        /// <summary>Seconds of the node's executable that only prints its usage: the runtime's start and stop.</summary>
        public List<double> BareStarts { get; } = [];
        public int OrderChars { get; set; }
        public int ResultChars { get; set; }
    }

    /// <summary>Longer than a spare's warm-up (JobWarmUp: at least 0.6 s, at most 3 s) on a quiet machine.</summary>
    private static readonly TimeSpan SpareWarmUp = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(Options options)
    {
        var work = Path.GetFullPath(options.Required("work"));
        var runs = options.Int("runs", 7);
        var warmups = options.Int("warmups", 1);
        var files = options.Int("files", 500);
        var seed = options.Int("seed", 42);
        var transport = options.Text("transport", "git");
        var threadCounts = options.Text("threads", "all,1").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t == "all" ? Environment.ProcessorCount : int.TryParse(t, out var n) && n > 0 ? n
                : throw new BenchException($"--threads takes 'all' or whole numbers, not '{t}'"))
            .Distinct().ToList();
        var runner = Runner(options.Required("node"));
        var variants = options.All("variant").Select(v => Variant(v, runner)).ToList();

        var served = Path.GetFullPath(options.Text("served", Path.Combine(work, "served")));
        Directory.CreateDirectory(served);
        var repos = new List<(string Name, int Files, long Bytes, int? Edges)>();
        var synthetic = $"synthetic-{files}";
        Log($"writing {synthetic}: {files} Python files whose imports make SyntheticRepository's graph (seed {seed})");
        var graph = SyntheticRepository.Graph(files, seed);
        var written = Path.Combine(work, "sources", synthetic);
        var bytes = SyntheticSources.Write(graph, written, seed);
        repos.Add((synthetic, CloneBench.Prepare(written, Path.Combine(served, synthetic)), bytes, graph.Edges.Count));
        foreach (var (name, source) in options.All("repo").Select(spec => spec.Split('=', 2)).Select(p => (p[0], p[1])))
        {
            Log($"preparing {name} from {source}");
            // In a subdirectory, as upstream (name/name/...): absolute imports resolve against it whatever the checkout is called.
            var dir = Path.Combine(served, name);
            repos.Add((name, CloneBench.Prepare(source, dir, within: name), SourceBytes(dir), null));
        }

        // git://: the daemon bench/jobs/run.sh started on --served (--git-base), else one of this process's own.
        var gitBase = options.Get("git-base")?.TrimEnd('/');
        using var daemon = transport == "git" && gitBase is null ? await GitDaemon.StartAsync(served) : null;
        string UrlOf(string name) => transport switch
        {
            "git" => daemon?.UrlFor(name) ?? $"{gitBase}/{name}",
            "path" => Path.Combine(served, name),
            _ => throw new BenchException($"unknown transport '{transport}' (git, path)"),
        };
        Log($"serving {served} " + (transport == "path" ? "as local paths" : $"at {UrlOf("")}"));

        // An edge's settings, as its node reads them from an environment that sets only the data directory and lets
        // it clone from loopback (where the bench serves its repositories).
        var edge = WorkerSettings.From(PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["PHAROS_DATA_DIR"] = Path.Combine(work, "edge"),
                ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
            })
            .Build()), 1) with
        { JobRunner = runner };
        Log($"job processes: {Describe(runner)}; training {edge.Training.Epochs} epochs x {edge.Training.Dimensions} dimensions, " +
            $"memory {edge.JobMemoryBytes >> 20} MB");
        // `<node> job usage job analyze`: the node's executable starts, prints its usage and exits.
        var bare = runner with { Arguments = [.. runner.Arguments, "job", "usage"] };

        var cases = new List<Case>();
        var loadBefore = Stats.LoadAverage();
        var counter = 0;
        foreach (var repo in repos)
        {
            var url = UrlOf(repo.Name);
            foreach (var threads in threadCounts)
            {
                var settings = edge with { Training = edge.Training with { Threads = threads } };
                List<Way> ways =
                [
                    new("in process", null, "JobHost's calls in this process"),
                    new("job processes", runner, "as the edge starts them"),
                    new("no spares", runner, "PHAROS_JOB_SPARE_SECONDS=0: each process started when its order comes", Spares: false),
                    .. variants.Select(v => new Way(v.Name, v.Runner, v.Description)),
                ];
                var c = new Case(repo.Name, repo.Files, repo.Bytes, repo.Edges, threads, ways);

                async Task Round(int round, bool record)
                {
                    var id = $"bench{++counter}";
                    var samples = new Sample[ways.Count];
                    // Each round starts with the next way: every way goes first as often as the others.
                    for (var k = 0; k < ways.Count; k++)
                    {
                        var w = (round + k) % ways.Count;
                        Collect();
                        samples[w] = ways[w].Runner is { } r
                            ? await JobsAsync(url, settings with { JobRunner = r, JobSpareTime = ways[w].Spares ? edge.JobSpareTime : TimeSpan.Zero },
                                $"{id}w{w}", c)
                            : InProcess(url, settings, $"{id}w{w}");
                    }
                    var failFast = new double[ways.Count];
                    for (var w = 1; w < ways.Count; w++)
                    {
                        Collect();
                        failFast[w] = await FailFastAsync(settings with { JobRunner = ways[w].Runner }, work, $"{id}f{w}");
                    }
                    Collect();
                    var bareStart = await BareStartAsync(settings with { JobRunner = bare });
                    foreach (var sample in samples.Skip(1)) Check(c, samples[0], sample);

                    Log($"{repo.Name}, {threads} thread(s){(record ? "" : ", warm-up")}: " + string.Join("; ", ways.Select((way, w) =>
                        $"{way.Name} {Stats.F(samples[w].Total)} s (clone {Stats.F(samples[w].Cloning)}, analysis {Stats.F(samples[w].Analyze)}" +
                        (w == 0 ? ")" : $", first line {Stats.F(samples[w].FirstLine)}, fail-fast job {Stats.F(failFast[w])})"))) +
                        $"; bare start {Stats.F(bareStart)} s");
                    if (!record) return;
                    for (var w = 0; w < ways.Count; w++)
                    {
                        ways[w].Samples.Add(samples[w]);
                        if (w > 0) ways[w].FailFast.Add(failFast[w]);
                    }
                    c.BareStarts.Add(bareStart);
                }

                for (var i = 0; i < warmups; i++) await Round(i, record: false);
                for (var i = 0; i < runs; i++) await Round(i, record: true);
                cases.Add(c);
            }
        }

        Stats.Write(Render(cases, edge, runner, transport, runs, warmups, loadBefore, Stats.LoadAverage()), options.Get("out"), "jobs-bench");
        return 0;
    }

    /// <summary>
    /// <c>--variant NAME:SPEC</c>: the job processes started another way, to see what a knob changes. SPEC is a
    /// comma-separated list of <c>VARIABLE=value</c> set in the job process's environment (through <c>env</c>, after
    /// JobProcess has set its own) and of <c>node=PATH</c>, another build of the node (a ReadyToRun publish).
    /// </summary>
    private static Way Variant(string spec, JobRunner runner)
    {
        var colon = spec.IndexOf(':');
        if (colon <= 0) throw new BenchException($"--variant takes NAME:VAR=value,...|node=PATH, not '{spec}'");
        var settings = spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var node = settings.FirstOrDefault(s => s.StartsWith("node=", StringComparison.Ordinal)) is { } n ? Runner(n["node=".Length..]) : runner;
        var environment = settings.Where(s => !s.StartsWith("node=", StringComparison.Ordinal)).ToList();
        if (environment.Any(e => !e.Contains('='))) throw new BenchException($"--variant {spec}: each setting is VAR=value or node=PATH");
        var started = environment.Count == 0 ? node : new JobRunner("/usr/bin/env", [.. environment, node.FileName, .. node.Arguments]);
        // The node's path by its last two parts: which build it is.
        var shown = settings.Select(s => s.StartsWith("node=", StringComparison.Ordinal)
            ? "node=…/" + string.Join('/', s["node=".Length..].Split('/').TakeLast(2)) : s);
        return new Way(spec[..colon], started, string.Join(", ", shown));
    }

    private static string Describe(JobRunner runner) => string.Join(' ', [runner.FileName, .. runner.Arguments]) + " job clone|analyze";

    /// <summary><c>--node</c>: the edge's apphost (as a published or built edge starts its jobs), or its dll (run by the dotnet host).</summary>
    private static JobRunner Runner(string node)
    {
        if (!File.Exists(node)) throw new BenchException($"--node {node} does not exist (build src/Pharos.EdgeNode)");
        return node.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? JobRunner.OfAssembly(node) : new JobRunner(Path.GetFullPath(node), []);
    }

    /// <summary>(a) What the two job processes do, in this process: JobHost's Clone, then its Analyze.</summary>
    private static Sample InProcess(string url, WorkerSettings settings, string taskId)
    {
        var target = Target(settings, taskId, url);
        var clock = Stopwatch.StartNew();
        var cloned = RepositoryCloner.Clone(settings.CloneRequestFor(url, target) with { Timeout = Timeout.InfiniteTimeSpan },
            _ => { }, CancellationToken.None);
        var clone = clock.Elapsed.TotalSeconds;

        double? training = null;
        var embedding = RepositoryEmbedder.Embed(target, settings.Training, settings.Analysis,
            p => { if (p.Stage == JobStage.Training) training ??= clock.Elapsed.TotalSeconds; });
        var storing = clock.Elapsed.TotalSeconds;
        var bundle = ResultBundles.Of(url, cloned.CommitSha, taskId, DateTimeOffset.UtcNow, embedding, settings.Training, clone);
        var entry = Outbox.Put(settings.OutboxRoot, taskId, "lease", bundle.WriteTo);
        var total = clock.Elapsed.TotalSeconds;

        var sample = new Sample(clone, total - clone, 0, (training ?? storing) - clone, storing - (training ?? storing), total - storing,
            embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count, new FileInfo(entry.Path).Length);
        CleanUp(target, entry);
        return sample;
    }

    /// <summary>(b) As the worker runs it: CloneActor's order and limits, then TrainActor's.</summary>
    private static async Task<Sample> JobsAsync(string url, WorkerSettings settings, string taskId, Case c)
    {
        var target = Target(settings, taskId, url);
        var clock = Stopwatch.StartNew();
        var request = settings.CloneRequestFor(url, target);
        var cloned = await settings.RunJobAsync(JobKind.Clone, JobJson.Line(request), _ => { }, CancellationToken.None);
        var clone = clock.Elapsed.TotalSeconds;
        if (cloned.Cloned is not { } result) throw new BenchException($"the clone job failed: {cloned.Error}");

        var order = JobJson.Line(new AnalyzeOrder(target, url, result.CommitSha, taskId, "lease", clone, settings.Training, settings.OutboxRoot,
            settings.Analysis));
        double? parsing = null, training = null, storing = null;
        var analyzed = await settings.RunJobAsync(JobKind.Analyze, order,
            line =>
            {
                var at = clock.Elapsed.TotalSeconds;
                switch (line.Progress?.Stage)
                {
                    case JobStage.Parsing: parsing ??= at; break;
                    case JobStage.Training: training ??= at; break;
                    case JobStage.Storing: storing ??= at; break;
                }
            }, CancellationToken.None);
        var total = clock.Elapsed.TotalSeconds;
        if (analyzed.Analyzed is not { } done) throw new BenchException($"the analysis job failed: {analyzed.Error}");
        if (parsing is null || training is null || storing is null) throw new BenchException("the analysis job did not report its stages");
        c.OrderChars = order.Length;
        c.ResultChars = JobJson.Line(analyzed).Length;

        // As TrainActor does once its analysis ends: the next task's processes start and warm up, untimed here as
        // on an edge between tasks; the pause keeps its warm-up out of the next way's run.
        settings.PrepareJob(JobKind.Clone);
        settings.PrepareJob(JobKind.Analyze);
        var sample = new Sample(clone, total - clone, parsing.Value - clone, training.Value - parsing.Value, storing.Value - training.Value,
            total - storing.Value, done.FilesProcessed, done.Edges, new FileInfo(done.Result.Path).Length);
        CleanUp(target, done.Result);
        if (settings.JobSpareTime > TimeSpan.Zero) await Task.Delay(SpareWarmUp);
        return sample;
    }

    /// <summary>(c) A job process that fails at once: its start, its order read, its one line and its exit.</summary>
    private static async Task<double> FailFastAsync(WorkerSettings settings, string work, string taskId)
    {
        var order = new AnalyzeOrder(Path.Combine(work, "no-such-checkout"), "git://127.0.0.1/none", new string('0', 40), taskId, "lease", 0,
            settings.Training, settings.OutboxRoot, settings.Analysis);
        var clock = Stopwatch.StartNew();
        var last = await JobProcess.RunAsync(settings.JobRunner, JobKind.Analyze, JobJson.Line(order), settings.JobLimits(JobKind.Analyze),
            _ => { }, CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        if (last.Error is not { Reason: JobReason.TrainingFailed })
            throw new BenchException($"the analysis of a missing directory should fail with training_failed: {last.Error?.ToString() ?? "it succeeded"}");
        return seconds;
    }

    /// <summary>The node's executable that only prints its usage (an unknown job): the runtime's start and exit, no job code.</summary>
    private static async Task<double> BareStartAsync(WorkerSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var last = await JobProcess.RunAsync(settings.JobRunner, JobKind.Analyze, "{}", settings.JobLimits(JobKind.Analyze),
            _ => { }, CancellationToken.None);
        var seconds = clock.Elapsed.TotalSeconds;
        if (last.Error?.Message.Contains("exit code 2") != true)
            throw new BenchException($"the node's usage should end with exit code 2: {last.Error?.ToString() ?? "it succeeded"}");
        return seconds;
    }

    /// <summary>Both ways must have analysed the same graph (the synthetic one's, when it is the synthetic repository).</summary>
    private static void Check(Case c, Sample a, Sample b)
    {
        if (a.Files != b.Files || a.Edges != b.Edges)
            throw new BenchException($"{c.Repo}: in process {a.Files} files and {a.Edges} edges, in job processes {b.Files} and {b.Edges}");
        if (c.ExpectedEdges is { } edges && (a.Files != c.Files || a.Edges != edges))
            throw new BenchException($"{c.Repo}: parsed {a.Files} files and {a.Edges} edges, written {c.Files} and {edges}");
    }

    /// <summary>Where the worker would clone: a fresh attempt directory, the checkout named as git names it.</summary>
    private static string Target(WorkerSettings settings, string taskId, string url) =>
        Path.Combine(WorkDirectories.NewAttempt(settings.WorkRoot, taskId, 1), WorkDirectories.CheckoutName(url));

    private static void CleanUp(string target, OutboxEntry entry)
    {
        WorkDirectories.Delete(Path.GetDirectoryName(target)!);
        File.Delete(entry.Path);
    }

    /// <summary>Between timed parts: the in-process runs' garbage is not left for the next part to collect.</summary>
    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    private static long SourceBytes(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/")).Sum(f => new FileInfo(f).Length);

    private static string Render(List<Case> cases, WorkerSettings edge, JobRunner runner, string transport, int runs, int warmups,
        string loadBefore, string loadAfter)
    {
        static double Med(IEnumerable<double> v) => Stats.Median(v.ToList());
        static double P90(IEnumerable<double> v) => Stats.Percentile(v.ToList(), 90);
        static string Ms(double seconds) => Stats.F(seconds * 1000, "0");
        static double Total(Way way) => Med(way.Samples.Select(s => s.Total));
        static double Percent(Case c, Way way) => 100 * (Total(way) - Total(c.InProcess)) / Total(c.InProcess);

        var sb = new StringBuilder();
        sb.AppendLine($"## Job processes: a task in two child processes beside in process — {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        sb.AppendLine();
        sb.AppendLine($"{Stats.Machine()}. Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}. " +
                      $"In process: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC (the edge's is workstation).");
        sb.AppendLine($"{runs} rounds after {warmups} warm-up round(s); in each, one task each way, a different way first each round, " +
                      "then the job processes that fail at once. Repositories served by " +
                      (transport == "git" ? "`git daemon` on loopback (git://, full clone)." : "a local path (full clone)."));
        sb.AppendLine($"An edge's default settings: {edge.Training.Epochs} epochs × {edge.Training.Dimensions} dimensions, walks {edge.Training.WalksPerNode} × " +
                      $"{edge.Training.WalkLength}, context {edge.Training.Context}, job memory {edge.JobMemoryBytes >> 20} MB. Job processes: `{Describe(runner)}`.");
        sb.AppendLine();
        sb.AppendLine("| repo | files | source | edges | threads | in process median (p90) s | job processes median (p90) s | overhead ms (paired median) | overhead % | goal < 10 % |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var c in cases)
        {
            var (a, b) = (Total(c.InProcess), Total(c.Jobs));
            var paired = Med(c.InProcess.Samples.Zip(c.Jobs.Samples, (x, y) => y.Total - x.Total));
            var percent = Percent(c, c.Jobs);
            var goal = c.Repo.StartsWith("synthetic-", StringComparison.Ordinal) ? Stats.Met(percent < 10) : "—";
            sb.AppendLine($"| {c.Repo} | {c.Files} | {c.SourceBytes / 1048576.0:0.0} MB | {c.InProcess.Samples[0].Edges} | {c.Threads} " +
                          $"| {Stats.F(a)} ({Stats.F(P90(c.InProcess.Samples.Select(s => s.Total)))}) " +
                          $"| {Stats.F(b)} ({Stats.F(P90(c.Jobs.Samples.Select(s => s.Total)))}) " +
                          $"| {Ms(b - a)} ({Ms(paired)}) | {Stats.F(percent, "0.0")} | {goal} |");
        }
        sb.AppendLine();
        sb.AppendLine("Where the time goes, medians in ms (in process / job processes). *first line*: from the start of the analysis stage to " +
                      "its first progress line, i.e. the job process's start (0 in process). *store*: the bundle into the outbox, and for the " +
                      "job process its last line and its exit. *fail-fast job*: a whole job process that fails at once (the analysis of a " +
                      "missing directory), median (p90). *bare start*: the node's executable that prints its usage and exits (no job code).");
        sb.AppendLine();
        sb.AppendLine("| repo | threads | clone stage | analysis stage | first line | parse | train | store | fail-fast job | bare start | order / result line | bundle |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            string Pair(Func<Sample, double> f) => $"{Ms(Med(c.InProcess.Samples.Select(f)))} / {Ms(Med(c.Jobs.Samples.Select(f)))}";
            sb.AppendLine($"| {c.Repo} | {c.Threads} | {Pair(s => s.Cloning)} | {Pair(s => s.Analyze)} | {Pair(s => s.FirstLine)} | {Pair(s => s.Parse)} " +
                          $"| {Pair(s => s.Train)} | {Pair(s => s.Store)} | {Ms(Med(c.Jobs.FailFast))} ({Ms(P90(c.Jobs.FailFast))}) " +
                          $"| {Ms(Med(c.BareStarts))} ({Ms(P90(c.BareStarts))}) | {c.OrderChars} / {c.ResultChars} B | {c.InProcess.Samples[0].BundleBytes / 1024.0:0} KB |");
        }
        if (cases.Any(c => c.Ways.Count > 2))
        {
            sb.AppendLine();
            sb.AppendLine("Knobs for the job processes (`--variant`), in the same rounds; medians in ms, overhead against in process.");
            sb.AppendLine();
            sb.AppendLine("| repo | threads | job processes | task | overhead | overhead % | clone stage | first line | parse | train | store | fail-fast job |");
            sb.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var c in cases)
                foreach (var way in c.Ways.Skip(1))
                {
                    string M(Func<Sample, double> f) => Ms(Med(way.Samples.Select(f)));
                    sb.AppendLine($"| {c.Repo} | {c.Threads} | {way.Name} (`{way.Description}`) | {M(s => s.Total)} | {Ms(Total(way) - Total(c.InProcess))} " +
                                  $"| {Stats.F(Percent(c, way), "0.0")} | {M(s => s.Cloning)} | {M(s => s.FirstLine)} | {M(s => s.Parse)} | {M(s => s.Train)} " +
                                  $"| {M(s => s.Store)} | {Ms(Med(way.FailFast))} |");
                }
        }
        return sb.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[jobs-bench {DateTime.Now:HH:mm:ss}] {message}");
}
