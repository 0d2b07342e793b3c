using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Commands;

namespace Pharos.Bench.Results;

/// <summary>
/// Delivery of one result from an edge to the cloud, beside a plain TCP copy of the same bytes. The cloud is a real
/// cloud node in its own process (bench/delivery/run.sh starts it: its ResultIntake at /user/result-intake and its
/// SQLite result store); this process is an <see cref="EdgeMember"/> of its cluster. Each round: a task is submitted and
/// leased, its result (a <see cref="SyntheticRepository"/> of --files files) is written to the outbox, then, in an
/// order that alternates, (1) a <see cref="Pharos.Actors.Results.ResultUploader"/> delivers it, timed from the
/// uploader's start to <see cref="Pharos.Actors.Results.UploadDelivered"/> (the cloud stored it durably and the queue
/// completed the task), and (2)
/// <see cref="TcpCopy"/> copies the same bytes to the sink process, timed to its answer after fsync.
/// </summary>
public static class DeliveryBench
{
    private const string Tag = "delivery-bench";

    public static async Task<int> RunAsync(Options options)
    {
        var files = options.Int("files", 10_000);
        var dims = options.Int("dims", 64);
        var runs = options.Int("runs", 20);
        var warmup = options.Int("warmup", 2);
        var seed = options.Int("seed", 42);
        var mode = options.Text("mode", "plain akka.tcp");
        var work = options.Required("work");
        var runId = DateTime.UtcNow.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        Directory.CreateDirectory(work);

        Stats.Log(Tag, $"making a {files}-file result ({dims} dims, seed {seed})");
        var embedding = SyntheticRepository.Embedding(files, dims, seed);

        await using var edge = await EdgeMember.StartAsync(options.Required("cloud-url"), options.Required("token"),
            Path.Combine(work, "outbox"), Tag);
        using var tcp = await TcpCopy.Client.ConnectAsync(options.Int("sink-port", 0) is > 0 and var port
            ? port : throw new BenchException("--sink-port (the tcp-sink's port) is required"));
        var baselineFile = Path.Combine(work, "baseline.bin");

        var actor = new List<Delivery>();
        var plain = new List<double>();
        byte[] bytes = [];
        string lastRepo = "", lastTask = "";
        var loadBefore = Stats.LoadAverage();
        for (var round = 0; round < warmup + runs; round++)
        {
            var assigned = await edge.LeaseNewTaskAsync($"bench-delivery/{runId}/r{round}");
            var bundle = SyntheticRepository.Bundle(embedding, assigned.Task.RepoUrl, Commit(runId, round), assigned.Task.TaskId);
            bytes = bundle.ToBytes();
            lastRepo = assigned.Task.RepoUrl;
            lastTask = assigned.Task.TaskId;
            var entry = edge.PutInOutbox(assigned, bytes);
            await File.WriteAllBytesAsync(baselineFile, bytes);

            Delivery delivery;
            double copy;
            if (round % 2 == 0)
            {
                delivery = await edge.DeliverAsync(entry);
                copy = await tcp.CopyAsync(baselineFile);
            }
            else
            {
                copy = await tcp.CopyAsync(baselineFile);
                delivery = await edge.DeliverAsync(entry);
            }
            var warm = round < warmup ? " (warm-up)" : "";
            Stats.Log(Tag, $"round {round + 1}/{warmup + runs}{warm}: delivery {Stats.F(delivery.Milliseconds, "0.0")} ms " +
                           $"({delivery.Acknowledgements} acknowledgements), TCP copy {Stats.F(copy, "0.0")} ms");
            if (round < warmup) continue;
            actor.Add(delivery);
            plain.Add(copy);
        }
        var loadAfter = Stats.LoadAverage();

        var stored = await StoredFilesAsync(edge.Http, lastRepo);
        if (stored != files) throw new BenchException($"GET /repos says the last result has {stored} files, not {files}");
        using (var job = JsonDocument.Parse(await edge.Http.GetStringAsync($"jobs/{lastTask}")))
            if (job.RootElement.GetProperty("status").GetString() != "completed")
                throw new BenchException($"GET /jobs/{lastTask} says {job.RootElement.GetProperty("status")}, not completed, after its delivery");
        var put = await PutMillisecondsAsync(embedding, Path.Combine(work, "store"));

        Stats.Write(Render(options, mode, files, dims, embedding.Graph.Edges.Count, bytes, actor, plain, put, loadBefore, loadAfter),
            options.Get("out"));
        return 0;
    }

    private static string Commit(string runId, int round) =>
        Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes($"{runId}/{round}"))).ToLowerInvariant();

    /// <summary>What the cloud lists for the repository: it was stored, and whole.</summary>
    private static async Task<int> StoredFilesAsync(HttpClient http, string repoUrl)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("repos"));
        foreach (var repo in json.RootElement.GetProperty("repos").EnumerateArray())
            if (repo.GetProperty("repo_url").GetString() == repoUrl) return repo.GetProperty("files").GetInt32();
        throw new BenchException($"GET /repos does not list {repoUrl}");
    }

    private static string Render(Options options, string mode, int files, int dims, int edges, byte[] bytes,
        List<Delivery> actor, List<double> plain, double put, string loadBefore, string loadAfter)
    {
        var times = actor.Select(d => d.Milliseconds).ToList();
        var chunks = (bytes.Length + ResultChunk.MaxBytes - 1) / ResultChunk.MaxBytes;
        var header = bytes.Length - (long)files * dims * sizeof(float);
        var acks = actor.Select(d => (double)d.Acknowledgements).ToList();
        var hash = Milliseconds(() => SHA256.HashData(bytes));
        var parse = Milliseconds(() => ResultBundle.ReadHeader(bytes, out _));
        double Mb(long b) => b / (1024.0 * 1024.0);
        string Rate(double ms) => Stats.F(Mb(bytes.Length) / (ms / 1000), "0.0");

        var sb = new StringBuilder();
        sb.AppendLine($"### Cluster transport: {mode}");
        sb.AppendLine();
        sb.AppendLine($"{Stats.Machine()}. Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.");
        sb.AppendLine($"Result: {files:N0} files × {dims} dims, {edges:N0} import edges; bundle {bytes.Length:N0} bytes " +
                      $"({Stats.F(Mb(bytes.Length), "0.00")} MB: header JSON {Stats.F(Mb(header), "0.00")} MB, vectors " +
                      $"{Stats.F(Mb((long)files * dims * sizeof(float)), "0.00")} MB) = {chunks} chunks of at most {ResultChunk.MaxBytes / 1024} KiB " +
                      $"(acknowledgements per delivery, median: {Stats.F(Stats.Percentile(acks, 50), "0")}). " +
                      $"In this process, SHA-256 of the bundle takes {Stats.F(hash, "0.0")} ms (the uploader hashes it before its offer, the intake again before it stores) " +
                      $"and `ResultBundle.ReadHeader` {Stats.F(parse, "0.0")} ms (the store reads the header before it writes); " +
                      $"`SqliteResultStore.PutAsync` of the bundle alone, into a store of its own in this process, {Stats.F(put, "0.0")} ms (median of 5, keep = 1). " +
                      $"{actor.Count} rounds after {options.Int("warmup", 2)} warm-up rounds, the two sides alternating which goes first.");
        sb.AppendLine();
        sb.AppendLine("| path | median ms | p90 ms | min ms | max ms | MB/s (median) | ratio (median) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        sb.AppendLine($"| ResultUploader → ResultIntake → SQLite + queue (offer to `UploadDelivered`) | {Stats.F(Stats.Percentile(times, 50), "0.0")} " +
                      $"| {Stats.F(Stats.Percentile(times, 90), "0.0")} | {Stats.F(times.Min(), "0.0")} | {Stats.F(times.Max(), "0.0")} " +
                      $"| {Rate(Stats.Percentile(times, 50))} | {Stats.F(Stats.Percentile(times, 50) / Stats.Percentile(plain, 50), "0.0")}× |");
        sb.AppendLine($"| plain TCP copy → file + fsync → ack (baseline) | {Stats.F(Stats.Percentile(plain, 50), "0.0")} " +
                      $"| {Stats.F(Stats.Percentile(plain, 90), "0.0")} | {Stats.F(plain.Min(), "0.0")} | {Stats.F(plain.Max(), "0.0")} " +
                      $"| {Rate(Stats.Percentile(plain, 50))} | 1× |");
        sb.AppendLine();
        var offer = actor.Select(d => d.FirstAck).ToList();
        var stream = actor.Select(d => (d.LastAck - d.FirstAck) / Math.Max(1, d.Acknowledgements - 1)).ToList();
        var store = actor.Select(d => d.Milliseconds - d.LastAck).ToList();
        sb.AppendLine($"Where the delivery's time goes (medians): hash and offer, to the first acknowledgement {Stats.F(Stats.Percentile(offer, 50), "0.0")} ms; " +
                      $"then one chunk per acknowledgement, {Stats.F(Stats.Percentile(stream, 50), "0.00")} ms each; the last chunk, the intake's " +
                      $"fsync, SHA-256, SQLite write and the queue's completion, to `UploadDelivered` {Stats.F(Stats.Percentile(store, 50), "0.0")} ms.");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>The cloud's store step alone: the median of 5 puts (each a new commit, so each also prunes the one before).</summary>
    private static async Task<double> PutMillisecondsAsync(CodeGraph.Embedding.RepositoryEmbedding embedding, string directory)
    {
        var store = new SqliteResultStore(directory, keep: 1, new ResultCache());
        var samples = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var bytes = SyntheticRepository.Bundle(embedding, "https://localhost/bench-store", Commit("store", i), $"store-{i}").ToBytes();
            var started = Stopwatch.GetTimestamp();
            await store.PutAsync(bytes);
            if (i > 0) samples.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
        }
        return Stats.Percentile(samples, 50);
    }

    /// <summary>The median of 5 timings of <paramref name="work"/> in this process (after one untimed call).</summary>
    private static double Milliseconds(Action work)
    {
        work();
        var samples = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var started = Stopwatch.GetTimestamp();
            work();
            samples.Add(Stats.Ms(Stopwatch.GetTimestamp() - started));
        }
        return Stats.Percentile(samples, 50);
    }
}
