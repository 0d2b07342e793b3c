using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.Bench.Train;

/// <summary>
/// The issue's training benchmark (bench/train/run.sh runs it). For each repository: parse throughput of the import
/// graph builder; a fixed 10 % of the undirected edges held out as positives with as many sampled non-edges as
/// negatives; walks made once on the remaining 90 % and written as text; then Pharos' skip-gram trainer and gensim's
/// Word2Vec (a separate /usr/bin/python3 process, bench/train/gensim_train.py) each trained <c>--runs</c> times on
/// those same walks with the same hyper-parameters and threads, alternating; medians of the training times and of the
/// link-prediction AUCs on the same held-out pairs.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Settings.Usage);
            return 2;
        }
        Directory.CreateDirectory(settings.WorkDirectory);

        var results = new List<RepoResult>();
        foreach (var (name, dir) in settings.Repositories)
            results.Add(Bench.Run(name, dir, settings));

        var report = Report.Render(settings, results);
        Console.Out.Write(report);
        if (settings.OutFile is { } outFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
            File.WriteAllText(outFile, report);
            Console.Error.WriteLine($"[train-bench] wrote {outFile}");
        }
        return 0;
    }
}

internal sealed record Settings
{
    public const string Usage =
        "usage: Pharos.Bench.Train --repo NAME=DIR [--repo NAME=DIR ...] --gensim-script FILE [--python /usr/bin/python3]\n" +
        "       [--work DIR] [--out FILE.md] [--threads 2] [--runs 3] [--parse-runs 3] [--seed 42] [--dims 64] [--window 10]\n" +
        "       [--negative 5] [--ns-exponent 0] [--epochs 10] [--walk-length 20] [--walks-per-node 10] [--holdout 0.1] [--gensim-corpus-file] [--skip-gensim]";

    public List<(string Name, string Directory)> Repositories { get; } = [];
    public string GensimScript { get; set; } = "";
    public string Python { get; set; } = "/usr/bin/python3";
    public string WorkDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "pharos-train-bench");
    public string? OutFile { get; set; }
    public int Threads { get; set; } = 2;
    public int Runs { get; set; } = 3;
    public int ParseRuns { get; set; } = 3;
    public int Seed { get; set; } = 42;
    public int Dimensions { get; set; } = 64;
    public int Window { get; set; } = 10;
    public int Negative { get; set; } = 5;
    public double NegativeExponent { get; set; } = new Node2VecOptions().NegativeExponent;
    public int Epochs { get; set; } = 10;
    public int WalkLength { get; set; } = 20;
    public int WalksPerNode { get; set; } = 10;
    public double Holdout { get; set; } = 0.1;
    /// <summary>Also time gensim's corpus_file mode (its fastest path; reads the file inside the timed part).</summary>
    public bool GensimCorpusFile { get; set; }
    /// <summary>Ours only (for profiling the trainer): no gensim runs.</summary>
    public bool SkipGensim { get; set; }

    public Node2VecOptions Options(int seed) => new()
    {
        Dimensions = Dimensions,
        WalkLength = WalkLength,
        Context = Window,
        WalksPerNode = WalksPerNode,
        Epochs = Epochs,
        Negative = Negative,
        NegativeExponent = NegativeExponent,
        Threads = Threads,
        Seed = seed,
        P = 1,
        Q = 1,
    };

    public static Settings Parse(string[] args)
    {
        var s = new Settings();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--repo":
                    var spec = Value();
                    int eq = spec.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0) throw new ArgumentException($"--repo wants NAME=DIR, got '{spec}'.");
                    s.Repositories.Add((spec[..eq], spec[(eq + 1)..]));
                    break;
                case "--gensim-script": s.GensimScript = Value(); break;
                case "--python": s.Python = Value(); break;
                case "--work": s.WorkDirectory = Value(); break;
                case "--out": s.OutFile = Value(); break;
                case "--threads": s.Threads = Int(); break;
                case "--runs": s.Runs = Int(); break;
                case "--parse-runs": s.ParseRuns = Int(); break;
                case "--seed": s.Seed = Int(); break;
                case "--dims": s.Dimensions = Int(); break;
                case "--window": s.Window = Int(); break;
                case "--negative": s.Negative = Int(); break;
                case "--ns-exponent": s.NegativeExponent = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--epochs": s.Epochs = Int(); break;
                case "--walk-length": s.WalkLength = Int(); break;
                case "--walks-per-node": s.WalksPerNode = Int(); break;
                case "--holdout": s.Holdout = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--gensim-corpus-file": s.GensimCorpusFile = true; break;
                case "--skip-gensim": s.SkipGensim = true; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        if (s.Repositories.Count == 0) throw new ArgumentException("At least one --repo NAME=DIR is needed.");
        if (s.GensimScript.Length == 0) throw new ArgumentException("--gensim-script is needed.");
        if (s.Runs < 1 || s.ParseRuns < 1) throw new ArgumentException("--runs and --parse-runs must be at least 1.");
        if (!(s.Holdout is > 0 and < 1)) throw new ArgumentException("--holdout must be in (0, 1).");
        return s;
    }
}

internal sealed record TrainRun(double Seconds, double AucCosine, double AucLink, long Words)
{
    /// <summary>Process CPU time during the run (ours only; NaN for gensim).</summary>
    public double CpuSeconds { get; init; } = double.NaN;
}

internal sealed record GensimInfo(string Version, int FastVersion, string Numpy);

internal sealed record RepoResult(
    string Name,
    int Files,
    int SkippedFiles,
    double ParseSecondsMedian,
    IReadOnlyList<double> ParseSeconds,
    int Nodes,
    int ConnectedNodes,
    int EdgesAll,
    int EdgesTrain,
    int HeldOut,
    int WalkCount,
    long WalkTokens,
    double WalkSeconds,
    IReadOnlyList<TrainRun> Ours,
    IReadOnlyList<TrainRun> Gensim,
    IReadOnlyList<TrainRun> GensimCorpusFile,
    GensimInfo? GensimInfo,
    double DegreeProductAuc,
    double AdamicAdarAuc);

internal static class Bench
{
    private static void Log(string message) =>
        Console.Error.WriteLine($"[train-bench {DateTime.Now:HH:mm:ss}] {message}");

    public static RepoResult Run(string name, string directory, Settings settings)
    {
        // 1. Parse throughput: the whole ImportGraphBuilder.Build (scan, read, analyse, resolve), in process.
        var parseSeconds = new List<double>();
        ImportGraph graph = null!;
        for (int r = 0; r < settings.ParseRuns; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var clock = Stopwatch.StartNew();
            graph = ImportGraphBuilder.Build(directory);
            parseSeconds.Add(clock.Elapsed.TotalSeconds);
        }
        int n = graph.Nodes.Count;
        Log($"{name}: {n} files, {graph.Edges.Count} import edges, parse {string.Join(" / ", parseSeconds.Select(F3))} s");

        // 2. Undirected, deduplicated edges; a fixed 10 % held out; as many non-edges (between nodes that have an edge
        //    in the full graph, never an edge of the full graph, no self pairs, no repeats) as negatives.
        var split = EdgeSplit.Make(graph.Nodes.Count, graph.Edges, settings.Holdout, settings.Seed);
        var trainGraph = new TrainingGraph(n, split.Train);
        // Context: how far scores that know nothing but the training graph get.
        double Baseline(Func<TrainingGraph, int, int, double> score) =>
            LinkPrediction.Auc(split.Positives, split.Negatives, (a, b) => score(trainGraph, a, b));
        double degreeAuc = Baseline(LinkPrediction.DegreeProduct);
        double adamicAdarAuc = Baseline(LinkPrediction.AdamicAdar);
        Log($"{name}: {split.All} undirected edges, {split.Train.Count} for training, {split.Positives.Count} held out, " +
            $"{split.Negatives.Count} negatives among {split.ConnectedNodes} connected nodes");

        // 3. Walks once, written as text for gensim.
        var corpus = RandomWalker.Generate(trainGraph, settings.Options(settings.Seed));
        string safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '_'));
        string walksFile = Path.Combine(settings.WorkDirectory, $"{safe}.walks.txt");
        using (var writer = new StreamWriter(walksFile, false, new UTF8Encoding(false), 1 << 16))
            corpus.WriteText(writer);
        Log($"{name}: {corpus.WalkCount} walks, {corpus.TokenCount} tokens ({corpus.Elapsed.TotalSeconds:F2} s) -> {walksFile}");

        // 4. Training, alternating ours and gensim's, different training seeds, the same walks.
        var ours = new List<TrainRun>();
        var gensim = new List<TrainRun>();
        var gensimFile = new List<TrainRun>();
        GensimInfo? info = null;
        for (int r = 0; r < settings.Runs; r++)
        {
            int seed = settings.Seed + 1 + r;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var embeddings = SkipGramTrainer.Train(corpus, n, settings.Options(seed));
            double seconds = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var run = Score(embeddings, split, seconds, (long)corpus.TokenCount * settings.Epochs) with { CpuSeconds = cpu };
            ours.Add(run);
            Log($"{name}: ours   run {r + 1}: {seconds:F3} s (CPU {cpu:F3} s), AUC {run.AucCosine:F4} (link {run.AucLink:F4})");

            if (settings.SkipGensim) continue;
            (var g, info) = RunGensim(settings, walksFile, n, seed, "memory", $"{safe}.gensim.{r}.npy");
            gensim.Add(Score(g.Embeddings, split, g.Seconds, g.Words));
            Log($"{name}: gensim run {r + 1}: {g.Seconds:F3} s, AUC {gensim[^1].AucCosine:F4} (link {gensim[^1].AucLink:F4})");

            if (settings.GensimCorpusFile)
            {
                (var gf, _) = RunGensim(settings, walksFile, n, seed, "corpus_file", $"{safe}.gensim-file.{r}.npy");
                gensimFile.Add(Score(gf.Embeddings, split, gf.Seconds, gf.Words));
                Log($"{name}: gensim corpus_file run {r + 1}: {gf.Seconds:F3} s, AUC {gensimFile[^1].AucCosine:F4}");
            }
        }

        return new RepoResult(name, n, graph.SkippedFiles, Median(parseSeconds), parseSeconds, n, split.ConnectedNodes,
            split.All, split.Train.Count, split.Positives.Count, corpus.WalkCount, corpus.TokenCount,
            corpus.Elapsed.TotalSeconds, ours, gensim, gensimFile, info, degreeAuc, adamicAdarAuc);
    }

    private static TrainRun Score(Embeddings embeddings, EdgeSplit split, double seconds, long words) =>
        new(seconds,
            LinkPrediction.Auc(embeddings, split.Positives, split.Negatives),
            LinkPrediction.Auc(split.Positives, split.Negatives, (a, b) => LinkPrediction.LinkScore(embeddings, a, b)),
            words);

    private sealed record GensimRun(double Seconds, long Words, Embeddings Embeddings);

    private static (GensimRun Run, GensimInfo Info) RunGensim(Settings s, string walksFile, int nodes, int seed, string mode, string outName)
    {
        string outFile = Path.Combine(s.WorkDirectory, outName);
        string contextFile = Path.ChangeExtension(outFile, ".context.npy");
        var psi = new ProcessStartInfo(s.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
                 {
                     s.GensimScript, "--walks", walksFile, "--out", outFile, "--nodes", I(nodes), "--dims", I(s.Dimensions),
                     "--window", I(s.Window), "--negative", I(s.Negative), "--ns-exponent", s.NegativeExponent.ToString(CultureInfo.InvariantCulture), "--epochs", I(s.Epochs), "--threads", I(s.Threads),
                     "--seed", I(seed), "--mode", mode, "--context-out", contextFile,
                 })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {s.Python}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"gensim_train.py exited {process.ExitCode}:\n{stderr.Result}");
        string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        if (root.GetProperty("missing").GetInt32() != 0)
            throw new InvalidOperationException($"gensim's vocabulary misses {root.GetProperty("missing").GetInt32()} nodes.");
        var vectors = Npy.ReadFloat32Matrix(outFile, out int rows, out int cols);
        if (rows != nodes || cols != s.Dimensions)
            throw new InvalidOperationException($"{outFile}: {rows} × {cols}, expected {nodes} × {s.Dimensions}.");
        var info = new GensimInfo(root.GetProperty("gensim").GetString() ?? "?", root.GetProperty("fast_version").GetInt32(),
            root.GetProperty("numpy").GetString() ?? "?");
        var context = Npy.ReadFloat32Matrix(contextFile, out _, out _);
        return (new GensimRun(root.GetProperty("train_seconds").GetDouble(), root.GetProperty("effective_words").GetInt64(),
            new Embeddings(rows, cols, vectors) { ContextVectors = context }), info);
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    internal static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return double.NaN;
        int m = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}

/// <summary>Reads a little-endian float32, C-order, 2-D .npy file (what numpy.save writes for such an array).</summary>
internal static class Npy
{
    public static float[] ReadFloat32Matrix(string path, out int rows, out int cols)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var magic = reader.ReadBytes(6);
        if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        byte major = reader.ReadByte();
        reader.ReadByte();
        int headerLength = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
        string header = Encoding.Latin1.GetString(reader.ReadBytes(headerLength));
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal) || !header.Contains("'fortran_order': False", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: expected little-endian float32 in C order, header {header.Trim()}.");
        int open = header.IndexOf("'shape': (", StringComparison.Ordinal) + "'shape': (".Length;
        int close = header.IndexOf(')', open);
        var dims = header[open..close].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => int.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        if (dims.Length != 2) throw new InvalidDataException($"{path}: expected a 2-D array, shape ({header[open..close]}).");
        rows = dims[0];
        cols = dims[1];
        var data = new float[(long)rows * cols];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
        stream.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Big-endian hosts are not supported.");
        return data;
    }
}

internal static class Report
{
    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Render(Settings s, IReadOnlyList<RepoResult> results)
    {
        var info = results.Select(r => r.GensimInfo).FirstOrDefault(i => i is not null);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Training benchmark, {DateTime.Now:yyyy-MM-dd HH:mm}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Machine: {Environment.ProcessorCount} cores ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), " +
            $".NET {Environment.Version}; gensim {info?.Version ?? "?"} (numpy {info?.Numpy ?? "?"}), " +
            $"FAST_VERSION {info?.FastVersion.ToString(CultureInfo.InvariantCulture) ?? "?"} ({FastVersionText(info?.FastVersion)}).");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Both: skip-gram, negative sampling, {s.Dimensions} dims, window {s.Window} (randomly shrunk), {s.Negative} negatives, " +
            $"{s.Epochs} epochs, lr 0.025 → 0.0001, no subsampling, {s.Threads} threads; the same walks " +
            $"({s.WalksPerNode} per node, length {s.WalkLength}, p = q = 1) made once by RandomWalker on 90 % of the edges. " +
            $"Medians of {s.Runs} training runs each (alternating, seeds {s.Seed + 1}..{s.Seed + s.Runs}); parse: median of {s.ParseRuns}.");
        sb.AppendLine();
        sb.AppendLine("| repo | files | parse files/s | nodes (with an edge) | edges (train) | walk tokens | ours train s | gensim train s | ratio gensim/ours | ours AUC | gensim AUC | AUC difference |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            double ours = Bench.Median(r.Ours.Select(x => x.Seconds)), gensim = Bench.Median(r.Gensim.Select(x => x.Seconds));
            double oursAuc = Bench.Median(r.Ours.Select(x => x.AucCosine)), gensimAuc = Bench.Median(r.Gensim.Select(x => x.AucCosine));
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Files} | {F(r.Files / r.ParseSecondsMedian, "F0")} | {r.Nodes} ({r.ConnectedNodes}) | {r.EdgesTrain} | {r.WalkTokens} | " +
                $"{F(ours, "F3")} | {F(gensim, "F3")} | {F(gensim / ours, "F2")} | {F(oursAuc, "F4")} | {F(gensimAuc, "F4")} | {F(Math.Round(oursAuc - gensimAuc, 4), "+0.0000;-0.0000;0.0000")} |");
        }
        sb.AppendLine();
        sb.AppendLine("AUC: cosine similarity of the two end points' vectors; the same held-out positives (10 % of the undirected " +
            "edges, fixed seed) and as many negatives (non-edges of the full graph between nodes with an edge, fixed seed) for both. " +
            "AUC difference = ours − gensim. Ratio > 1: ours trains faster.");
        sb.AppendLine();
        sb.AppendLine("## Details");
        sb.AppendLine();
        bool file = results.Any(r => r.GensimCorpusFile.Count > 0);
        sb.AppendLine("| repo | parse s (runs) | undirected edges | held out (pos = neg) | walks | walk s | ours train s (runs) | ours CPU s (runs) | gensim train s (runs) | ours M words/s | gensim M words/s | ours link AUC | gensim link AUC | degree-product AUC | Adamic-Adar AUC |"
            + (file ? " gensim corpus_file s (runs) | corpus_file AUC |" : ""));
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|" + (file ? "---|---:|" : ""));
        foreach (var r in results)
        {
            string Runs(IEnumerable<double> v) => string.Join(" / ", v.Select(x => F(x, "F3")));
            double Rate(IReadOnlyList<TrainRun> runs) => Bench.Median(runs.Select(x => x.Words / x.Seconds / 1e6));
            sb.Append(CultureInfo.InvariantCulture,
                $"| {r.Name} | {Runs(r.ParseSeconds)} | {r.EdgesAll} | {r.HeldOut} | {r.WalkCount} | {F(r.WalkSeconds, "F3")} | " +
                $"{Runs(r.Ours.Select(x => x.Seconds))} | {Runs(r.Ours.Select(x => x.CpuSeconds))} | {Runs(r.Gensim.Select(x => x.Seconds))} | {F(Rate(r.Ours), "F2")} | {F(Rate(r.Gensim), "F2")} | " +
                $"{F(Bench.Median(r.Ours.Select(x => x.AucLink)), "F4")} | {F(Bench.Median(r.Gensim.Select(x => x.AucLink)), "F4")} | {F(r.DegreeProductAuc, "F4")} | {F(r.AdamicAdarAuc, "F4")} |");
            if (file)
                sb.Append(CultureInfo.InvariantCulture,
                    $" {Runs(r.GensimCorpusFile.Select(x => x.Seconds))} | {F(Bench.Median(r.GensimCorpusFile.Select(x => x.AucCosine)), "F4")} |");
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine("M words/s: walk tokens × epochs per second of training (both threads together). Ours CPU s: the process' CPU time " +
            "during the training (user + system, all threads): with 2 threads it is about twice the wall time when both " +
            "cores were ours, and about the wall time when another tenant held a core. Degree-product AUC: " +
            "the product of the two end points' degrees in the training graph as the score, for context (no embedding).");
        sb.AppendLine();
        sb.AppendLine("Per-run AUC (cosine), ours / gensim:");
        sb.AppendLine();
        foreach (var r in results)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"- {r.Name}: {string.Join(", ", r.Ours.Select(x => F(x.AucCosine, "F4")))} / {string.Join(", ", r.Gensim.Select(x => F(x.AucCosine, "F4")))}");
        return sb.ToString();
    }

    private static string FastVersionText(int? v) => v switch
    {
        null => "unknown",
        -1 => "pure Python: the Cython routines did not load",
        0 => "compiled Cython routines, BLAS with double dsdot",
        1 => "compiled Cython routines, BLAS with float sdot",
        2 => "compiled Cython routines, no BLAS (own loops)",
        _ => "compiled",
    };
}
