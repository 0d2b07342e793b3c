using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pharos.CodeGraph.Results;

namespace Pharos.Bench.Results;

/// <summary>
/// Latency of "the k files most like this one" (by link score: vectors and context vectors, as results have them) on
/// repositories of several sizes, three ways on the same matrices and the same query rows (fixed seeds): (a) <see cref="SimilarFiles.Top"/> in this process; (b) GET /repos/similar on a real
/// cloud node (bench/similar/run.sh starts it), after the result was delivered into its store the way an edge
/// delivers one (<see cref="EdgeMember"/>); (c) a numpy scan (bench/similar/numpy_similar.py, timed in Python).
/// </summary>
public static class SimilarBench
{
    private const string Tag = "similar-bench";
    /// <summary>Queries whose top-k are compared between this process, numpy and the node.</summary>
    private const int Checked = 20;
    /// <summary>The least number of times each .NET side repeats its warm-up rows (with 20 rows, 1,000 queries).</summary>
    private const int WarmupPasses = 50;

    private sealed record NumpyRun(List<double> Einsum, List<double> Blas, int[][] Top, string BlasLibrary, string Version)
    {
        /// <summary>The baseline: the faster of the two scans.</summary>
        public double BestP50 => Math.Min(Stats.Percentile(Einsum, 50), Stats.Percentile(Blas, 50));
    }

    private sealed record Size(int Files, double MatrixMb, List<double> InProcess, NumpyRun Numpy, int NumpyAgrees,
        Http? Http);

    private sealed record Http(double BundleMb, double DeliveryMs, double FirstMs, List<double> Latency, bool Agrees);

    public static async Task<int> RunAsync(Options options)
    {
        var sizes = options.Ints("sizes", "1000,10000,100000");
        var httpSizes = options.Get("http-sizes") == "none" ? [] : options.Ints("http-sizes", options.Text("sizes", "1000,10000,100000"));
        var dims = options.Int("dims", 64);
        var queries = options.Int("queries", 500);
        var warmup = options.Int("warmup", 20);
        // Tiered compilation: code runs unoptimised until it has been called a while and the JIT's background thread
        // had time to optimise it; a node that has served for a minute has its optimised code, so each .NET side
        // repeats its warm-up queries for at least this long, and at least WarmupPasses times.
        var warmupTime = TimeSpan.FromSeconds(options.Int("warmup-seconds", 3));
        var k = options.Int("k", 10);
        var seed = options.Int("seed", 42);
        var work = options.Required("work");
        var python = options.Text("python", "/usr/bin/python3");
        var script = options.Required("numpy-script");
        var runId = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        Directory.CreateDirectory(work);

        EdgeMember? edge = null;
        if (httpSizes.Count > 0)
            edge = await EdgeMember.StartAsync(options.Required("cloud-url"), options.Required("token"), Path.Combine(work, "outbox"), Tag);
        var results = new List<Size>();
        var loadBefore = Stats.LoadAverage();
        var nodeWarmup = TimeSpan.FromSeconds(options.Int("node-warmup-seconds", 20));
        var nodeWarmupRequests = 0;
        try
        {
            if (edge is not null) nodeWarmupRequests = await WarmNodeAsync(edge, runId, dims, seed, k, nodeWarmup);
            foreach (var files in sizes)
            {
                Stats.Log(Tag, $"{files} files: making the repository ({dims} dims, seed {seed + files})");
                var embedding = SyntheticRepository.Embedding(files, dims, seed + files);
                var vectors = embedding.Embeddings.Vectors;
                var context = embedding.Embeddings.ContextVectors!;
                var random = new Random(seed);
                var rows = Enumerable.Range(0, warmup + queries).Select(_ => random.Next(files)).ToArray();

                Stats.Log(Tag, $"{files} files: {queries} SimilarFiles.Top queries in process");
                var inProcess = InProcess(vectors, context, dims, rows, warmup, warmupTime, k);

                Stats.Log(Tag, $"{files} files: {queries} numpy queries");
                var numpy = RunNumpy(python, script, work, vectors, context, files, dims, rows, warmup, k);
                var agrees = 0;
                for (var q = 0; q < Math.Min(Checked, queries); q++)
                {
                    var ours = SimilarFiles.Top(vectors, context, dims, rows[warmup + q], k).Select(s => s.Node).Order();
                    if (ours.SequenceEqual(numpy.Top[q].Order())) agrees++;
                }

                Http? http = null;
                if (edge is not null && httpSizes.Contains(files))
                    http = await OverHttpAsync(edge, embedding, runId, files, dims, rows, warmup, warmupTime, k);
                var size = new Size(files, (vectors.Length + context.Length) * 4 / (1024.0 * 1024), inProcess, numpy, agrees, http);
                Stats.Log(Tag, $"{files} files: in process p50 {Stats.F(Stats.Percentile(inProcess, 50))} ms, " +
                               $"HTTP p50 {Stats.F(http is null ? double.NaN : Stats.Percentile(http.Latency, 50))} ms, " +
                               $"numpy p50 {Stats.F(numpy.BestP50)} ms");
                results.Add(size);
            }
        }
        finally
        {
            if (edge is not null) await edge.DisposeAsync();
        }
        Stats.Write(Render(results, queries, warmup, warmupTime, nodeWarmup, nodeWarmupRequests, k, dims, loadBefore, Stats.LoadAverage()), options.Get("out"));
        return 0;
    }

    private static List<double> InProcess(float[] vectors, float[] context, int dims, int[] rows, int warmup, TimeSpan warmupTime, int k)
    {
        var warming = Stopwatch.StartNew();
        for (var pass = 0; pass < WarmupPasses || warming.Elapsed < warmupTime; pass++)
            for (var i = 0; i < warmup; i++) SimilarFiles.Top(vectors, context, dims, rows[i], k);
        var samples = new List<double>(rows.Length - warmup);
        for (var i = warmup; i < rows.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var top = SimilarFiles.Top(vectors, context, dims, rows[i], k);
            samples.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
            if (top.Count != k) throw new BenchException($"SimilarFiles.Top gave {top.Count} files, not {k}");
        }
        return samples;
    }

    private static NumpyRun RunNumpy(string python, string script, string work, float[] vectors, float[] context, int files,
        int dims, int[] rows, int warmup, int k)
    {
        var npy = Path.Combine(work, $"vectors-{files}.npy");
        using (var stream = File.Create(npy)) Npy.Write(stream, vectors, files, dims);
        var contextNpy = Path.Combine(work, $"context-{files}.npy");
        using (var stream = File.Create(contextNpy)) Npy.Write(stream, context, files, dims);
        var queryFile = Path.Combine(work, $"queries-{files}.json");
        File.WriteAllText(queryFile, JsonSerializer.Serialize(rows));
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "--npy", npy, "--context-npy", contextNpy, "--queries", queryFile, "--warmup", $"{warmup}", "--k", $"{k}", "--top", $"{Checked}" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new BenchException($"{python} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new BenchException($"{script} failed ({process.ExitCode}): {stderr.Result}");
        File.Delete(npy);
        File.Delete(contextNpy);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        List<double> Times(string name) => [.. root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble())];
        return new NumpyRun(Times("einsum_ms"), Times("blas_ms"),
            [.. root.GetProperty("top").EnumerateArray().Select(t => t.EnumerateArray().Select(e => e.GetInt32()).ToArray())],
            root.GetProperty("blas").GetString() ?? "?", root.GetProperty("numpy").GetString() ?? "?");
    }

    /// <summary>Delivers the repository's result into the node's store as an edge does, then asks GET /repos/similar.</summary>
    /// <summary>
    /// The node's request path (Kestrel, authentication, the store's lookup, the endpoint, JSON) keeps getting faster
    /// for many thousands of requests while the JIT optimises it; measured from cold, the first size would pay for it.
    /// So the node first answers queries on a result of its own for <paramref name="time"/>.
    /// </summary>
    private static async Task<int> WarmNodeAsync(EdgeMember edge, string runId, int dims, int seed, int k, TimeSpan time)
    {
        var embedding = SyntheticRepository.Embedding(1_000, dims, seed - 1);
        var assigned = await edge.LeaseNewTaskAsync($"bench-similar/{runId}/warm-up");
        var bundle = SyntheticRepository.Bundle(embedding, assigned.Task.RepoUrl, new string('b', 40), assigned.Task.TaskId);
        await edge.DeliverAsync(edge.PutInOutbox(assigned, bundle.ToBytes()));
        Stats.Log(Tag, $"warming the node up for {time.TotalSeconds:0} s");
        var repo = Uri.EscapeDataString(assigned.Task.RepoUrl);
        var warming = Stopwatch.StartNew();
        var requests = 0;
        for (; warming.Elapsed < time; requests++)
            await GetAsync(edge.Http, $"repos/similar?repo_url={repo}&path={Uri.EscapeDataString(embedding.Graph.Nodes[requests % 1_000])}&k={k}");
        return requests;
    }

    private static async Task<Http> OverHttpAsync(EdgeMember edge, CodeGraph.Embedding.RepositoryEmbedding embedding, string runId,
        int files, int dims, int[] rows, int warmup, TimeSpan warmupTime, int k)
    {
        var assigned = await edge.LeaseNewTaskAsync($"bench-similar/{runId}/f{files}");
        var bundle = SyntheticRepository.Bundle(embedding, assigned.Task.RepoUrl, new string('a', 39) + (files % 10), assigned.Task.TaskId);
        var bytes = bundle.ToBytes();
        Stats.Log(Tag, $"{files} files: delivering the {bytes.Length / (1024.0 * 1024):0.0} MB result into the node's store");
        var delivery = await edge.DeliverAsync(edge.PutInOutbox(assigned, bytes));

        var nodes = embedding.Graph.Nodes;
        var repo = Uri.EscapeDataString(assigned.Task.RepoUrl);
        string Url(int row) => $"repos/similar?repo_url={repo}&path={Uri.EscapeDataString(nodes[row])}&k={k}";

        // The first query reads the bundle from the store and parses it; later ones find it in the node's cache.
        var started = Stopwatch.GetTimestamp();
        await GetAsync(edge.Http, Url(rows[0]));
        var firstMs = Stats.Ms(Stopwatch.GetTimestamp() - started);

        var warming = Stopwatch.StartNew();
        for (var pass = 0; pass < WarmupPasses || warming.Elapsed < warmupTime; pass++)
            for (var i = 0; i < warmup; i++) await GetAsync(edge.Http, Url(rows[i]));

        Stats.Log(Tag, $"{files} files: {rows.Length - warmup} GET /repos/similar");
        var latency = new List<double>(rows.Length - warmup);
        var agrees = true;
        for (var i = warmup; i < rows.Length; i++)
        {
            started = Stopwatch.GetTimestamp();
            var body = await GetAsync(edge.Http, Url(rows[i]));
            latency.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
            if (i >= warmup + Checked) continue;
            using var json = JsonDocument.Parse(body);
            var paths = json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("path").GetString()!);
            var ours = SimilarFiles.Top(embedding.Embeddings.Vectors, embedding.Embeddings.ContextVectors, dims, rows[i], k).Select(s => nodes[s.Node]);
            agrees &= paths.SequenceEqual(ours);
        }
        return new Http(bytes.Length / (1024.0 * 1024), delivery.Milliseconds, firstMs, latency, agrees);
    }

    private static async Task<byte[]> GetAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
            throw new BenchException($"GET /{url} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        return body;
    }

    private static string Render(List<Size> sizes, int queries, int warmup, TimeSpan warmupTime, TimeSpan nodeWarmup,
        int nodeWarmupRequests, int k, int dims, string loadBefore, string loadAfter)
    {
        static string P(List<double> v) => $"{Stats.F(Stats.Percentile(v, 50))} / {Stats.F(Stats.Percentile(v, 99))}";
        static string Ratio(double a, double b) => $"{Stats.F(a / b, "0.00")}×";
        var numpy = sizes.FirstOrDefault()?.Numpy;
        var sb = new StringBuilder();
        sb.AppendLine($"{Stats.Machine()}; numpy {numpy?.Version} with {numpy?.BlasLibrary}. Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.");
        sb.AppendLine($"{queries} queries per size (k = {k}, {dims} dims, query rows drawn with a fixed seed, the same rows on every side) after warm-up queries ({warmup} rows; on the .NET sides repeated {WarmupPasses} times, or for {warmupTime.TotalSeconds:0} s if that is longer); " +
                      "latencies in ms, p50 / p99; every side scores each file by the link score in(q)·out(f) + in(f)·out(q) (two dot products a file). " +
                      "Ratios are of the p50s, against the faster of numpy's einsum and `@` (= 1)." +
                      (nodeWarmupRequests > 0 ? $" Before the first size, the node answered {nodeWarmupRequests:N0} queries on a 1,000-file result of its own ({nodeWarmup.TotalSeconds:0} s) to optimise its request path." : ""));
        sb.AppendLine();
        sb.AppendLine("| files | matrices MB | `SimilarFiles.Top` in process | `GET /repos/similar` | numpy einsum | numpy `@` (BLAS) | in process / numpy | HTTP / numpy |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in sizes)
        {
            var numpyP50 = s.Numpy.BestP50;
            sb.AppendLine($"| {s.Files:N0} | {Stats.F(s.MatrixMb, "0.0")} | {P(s.InProcess)} | {(s.Http is null ? "—" : P(s.Http.Latency))} " +
                          $"| {P(s.Numpy.Einsum)} | {P(s.Numpy.Blas)} | {Ratio(Stats.Percentile(s.InProcess, 50), numpyP50)} " +
                          $"| {(s.Http is null ? "—" : Ratio(Stats.Percentile(s.Http.Latency, 50), numpyP50))} |");
        }
        sb.AppendLine();
        sb.AppendLine("| files | top-k equal to numpy's | bundle MB | delivered into the store (ms) | first `GET /repos/similar` (reads and parses the bundle) ms | node's answers equal to in process |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---|");
        foreach (var s in sizes)
        {
            var h = s.Http;
            sb.AppendLine($"| {s.Files:N0} | {s.NumpyAgrees}/{Math.Min(Checked, queries)} " +
                          $"| {(h is null ? "—" : Stats.F(h.BundleMb, "0.0"))} | {(h is null ? "—" : Stats.F(h.DeliveryMs, "0"))} " +
                          $"| {(h is null ? "—" : Stats.F(h.FirstMs, "0"))} | {(h is null ? "—" : h.Agrees ? $"yes ({Math.Min(Checked, queries)}/{Math.Min(Checked, queries)})" : "**no**")} |");
        }
        sb.AppendLine();
        return sb.ToString();
    }
}
