using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pharos.Actors.Edge;

namespace Pharos.Bench.Worker;

/// <summary>
/// End to end against its parts. A real cloud node and a real edge node run as their own processes
/// (bench/e2e/run.sh starts them, and the git servers). For each served URL: seconds from just before
/// POST /ingest to the first GET /jobs/{id} (polled every 50 ms) that says <c>completed</c>, against the sum of
/// <c>git clone</c> (the CLI, same server and URL; <c>--depth 1</c> over http as the edge does) and
/// <c>pharos train DIR --out PREFIX</c> (the CLI's dll) with the same epochs, dimensions and threads, both timed
/// from process start to exit. One warm-up of each, then <c>--runs</c> rounds of (job, clone, train); medians.
/// </summary>
public static class EndToEndBench
{
    private sealed record Round(double EndToEnd, JsonElement Job, double CloneSeconds, double Train, JsonElement TrainSummary);

    public static async Task<int> RunAsync(Options options)
    {
        var cloudUrl = options.Required("cloud-url").TrimEnd('/');
        var token = options.Required("token");
        var cliDll = options.Required("cli-dll");
        var work = Path.GetFullPath(options.Required("work"));
        var runs = options.Int("runs", 3);
        var epochs = options.Int("epochs", 10);
        var dims = options.Int("dims", 64);
        var threads = options.Int("threads", 2);
        var cases = options.All("case").Select(c => c.Split('=', 2)).Select(p => (Transport: p[0], Url: p[1])).ToList();
        if (cases.Count == 0) throw new BenchException("give at least one --case TRANSPORT=URL (transport http or git)");
        Directory.CreateDirectory(work);

        using var http = new HttpClient { BaseAddress = new Uri(cloudUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var results = new List<(string Transport, string Url, List<Round> Rounds)>();
        var counter = 0;
        var loadBefore = Stats.LoadAverage();
        foreach (var (transport, url) in cases)
        {
            string[] cloneArgs = transport == "http" ? ["clone", "-q", "--depth", "1", url] : ["clone", "-q", url];

            async Task<Round> OneRound(bool warm)
            {
                var (e2e, job) = await JobAsync(http, url);
                var target = Path.Combine(work, $"clone-{counter++}");
                var (clone, _) = Run.Timed("git", work, [.. cloneArgs, target]);
                var (train, stdout) = Run.Timed("dotnet", work, [cliDll, "train", target, "--out", Path.Combine(work, "emb", $"r{counter}"),
                    "--epochs", epochs.ToString(), "--dims", dims.ToString(), "--threads", threads.ToString(), "--json"]);
                WorkDirectories.Delete(target);
                using var summary = JsonDocument.Parse(stdout);
                var round = new Round(e2e, job, clone, train, summary.RootElement.Clone());
                Log($"{transport}{(warm ? " warm-up" : "")}: job {Stats.F(e2e)} s (stages {Stages(job)}), git clone {Stats.F(clone)} s, " +
                    $"pharos train {Stats.F(train)} s");
                return round;
            }

            await OneRound(warm: true);
            var rounds = new List<Round>();
            for (var i = 0; i < runs; i++) rounds.Add(await OneRound(warm: false));
            results.Add((transport, url, rounds));
        }

        Stats.Write(Render(results, epochs, dims, threads, loadBefore, Stats.LoadAverage()), options.Get("out"), "e2e-bench");
        return 0;
    }

    /// <summary>Submits <paramref name="url"/> and polls the job every 50 ms until it ends; seconds and the job record.</summary>
    private static async Task<(double Seconds, JsonElement Job)> JobAsync(HttpClient http, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "ingest")
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["repo_url"] = url }),
                Encoding.UTF8, "application/json"),
        };
        var start = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted) throw new BenchException($"POST /ingest answered {(int)response.StatusCode}: {text}");
        var taskId = JsonDocument.Parse(text).RootElement.GetProperty("task_id").GetString()!;
        var deadline = TimeSpan.FromMinutes(10);
        while (true)
        {
            await Task.Delay(50);
            using var poll = await http.GetAsync($"jobs/{taskId}");
            var body = await poll.Content.ReadAsStringAsync();
            if (poll.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                // The node asks to retry (its queue did not answer the read in time): a client polls on.
                Log($"GET /jobs/{taskId} answered 503 at {Stopwatch.GetElapsedTime(start).TotalSeconds:0.000} s: {body}");
                continue;
            }
            if (!poll.IsSuccessStatusCode) throw new BenchException($"GET /jobs/{taskId} answered {(int)poll.StatusCode}: {body}");
            var job = JsonDocument.Parse(body).RootElement;
            if (job.TryGetProperty("job", out var inner)) job = inner;
            var status = job.GetProperty("status").GetString();
            if (status == "completed") return (Stopwatch.GetElapsedTime(start).TotalSeconds, job.Clone());
            if (status is "failed" or "skipped" or "cancelled")
                throw new BenchException($"job {taskId} ended {status}: {body}");
            if (Stopwatch.GetElapsedTime(start) > deadline)
                throw new BenchException($"job {taskId} still {status} after {deadline.TotalMinutes:0} minutes: {body}");
        }
    }

    private static double? Number(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;
    }

    private static string Count(JsonElement e, string name) => Number(e, name) is { } v ? v.ToString("0") : "—";

    /// <summary>What `pharos train --json` reports of its own work: parse + walks + training seconds.</summary>
    private static double Inside(JsonElement summary) =>
        (Number(summary, "parse_seconds") ?? 0) + (Number(summary, "walk_seconds") ?? 0) + (Number(summary, "train_seconds") ?? 0);

    private static string N(double? v) => v is { } x ? Stats.F(x) : "—";

    private static string Stages(JsonElement job) =>
        string.Join(" / ", new[] { "clone", "parse", "train", "store" }.Select(s => N(Number(job, "stage_seconds", s))));

    private static string Render(List<(string Transport, string Url, List<Round> Rounds)> results, int epochs, int dims, int threads,
        string loadBefore, string loadAfter)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## End to end against its parts — {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        sb.AppendLine();
        sb.AppendLine($"{Stats.Machine()}. Cloud node and edge node: separate processes (`dotnet <dll>`), SQLite journal; training " +
                      $"{epochs} epochs, {dims} dimensions, {threads} threads on both sides (PHAROS_TRAIN_* / --epochs --dims --threads).");
        sb.AppendLine("End to end: just before POST /ingest → the first GET /jobs/{id} (every 50 ms) saying `completed`. " +
                      "Parts: `git clone` and `dotnet pharos.dll train DIR --out PREFIX`, each from process start to exit, same server and URL.");
        sb.AppendLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.");
        sb.AppendLine();
        sb.AppendLine("| transport | run | end to end s | job duration_seconds | job stage_seconds clone / parse / train / store | files, edges: job / CLI | git clone s | pharos train s (its own parse + walks + train) | clone + train s | overhead |");
        sb.AppendLine("|---|---|---:|---:|---|---|---:|---:|---:|---:|");
        foreach (var (transport, _, rounds) in results)
        {
            for (var i = 0; i < rounds.Count; i++)
            {
                var r = rounds[i];
                var sum = r.CloneSeconds + r.Train;
                sb.AppendLine($"| {transport} | {i + 1} | {Stats.F(r.EndToEnd)} | {N(Number(r.Job, "duration_seconds"))} | {Stages(r.Job)} " +
                              $"| {Count(r.Job, "files_processed")}, {Count(r.Job, "edges")} / {Count(r.TrainSummary, "nodes")}, {Count(r.TrainSummary, "edges")} " +
                              $"| {Stats.F(r.CloneSeconds)} | {Stats.F(r.Train)} ({Stats.F(Inside(r.TrainSummary))}) | {Stats.F(sum)} | {Stats.F(100 * (r.EndToEnd / sum - 1), "0")} % |");
            }
        }
        sb.AppendLine();
        sb.AppendLine("| transport | end to end s (median) | git clone s (median) | pharos train s (median) | sum of the medians | overhead | goal < 20 % |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var (transport, _, rounds) in results)
        {
            var e2e = Stats.Median(rounds.Select(r => r.EndToEnd).ToList());
            var clone = Stats.Median(rounds.Select(r => r.CloneSeconds).ToList());
            var train = Stats.Median(rounds.Select(r => r.Train).ToList());
            var overhead = e2e / (clone + train) - 1;
            sb.AppendLine($"| {transport} | {Stats.F(e2e)} | {Stats.F(clone)} | {Stats.F(train)} | {Stats.F(clone + train)} " +
                          $"| {Stats.F(100 * overhead, "0")} % | {Stats.Met(overhead < 0.20)} |");
        }
        return sb.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[e2e-bench {DateTime.Now:HH:mm:ss}] {message}");
}
