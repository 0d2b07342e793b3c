using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.Messages.Commands;
using Pharos.Messages.Status;

namespace Pharos.Bench.Worker;

/// <summary>
/// Submit → <see cref="TaskAssigned"/> latency. A real cloud node runs as its own process (bench/dispatch/run.sh starts
/// it); this process joins its cluster as an <c>edge</c> member (<see cref="PharosAkkaHosting.WithPharosNode"/> with
/// the cloud as seed), reaches the queue through a cluster singleton proxy and runs bench workers that speak the pull
/// protocol. The HTTP client records the time just before each POST /ingest, the worker the time each TaskAssigned
/// is received (one clock: both are in this process); latency = assigned − submitted per task id.
/// Runs: a warm-up; "sequential" (one client, one worker, the next POST once the previous task is assigned);
/// "concurrent" (C clients each POSTing back to back, C workers); and the baseline, a worker that polls with
/// RequestWork every 2 s instead of waiting for WorkAvailable (as the original Python service did), with a random
/// pause of 0..interval before each submission so arrivals are not in step with its timer.
/// </summary>
public static class DispatchBench
{
    private sealed record Sample(double LatencyMs, double AcceptMs);

    private sealed record Phase(string Name, string Worker, int Workers, int Clients, int Tasks, List<Sample> Samples, int Duplicates);

    public static async Task<int> RunAsync(Options options)
    {
        var cloudUrl = options.Required("cloud-url").TrimEnd('/');
        var token = options.Required("token");
        var seed = options.Required("seed");
        var tasks = options.Int("tasks", 1000);
        var clients = options.Int("clients", 4);
        var pollTasks = options.Int("poll-tasks", 20);
        var pollInterval = TimeSpan.FromMilliseconds(options.Int("poll-interval-ms", 2000));
        var warmup = options.Int("warmup", 50);
        var runId = options.Text("run-id", DateTime.UtcNow.ToString("HHmmss"));

        var builder = Host.CreateApplicationBuilder([]);
        builder.Logging.ClearProviders();
        // The harness's own warnings go to stderr, so that stdout carries the report alone.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Akka", LogLevel.Warning);
        var edgeSettings = new PharosSettings { Cluster = ClusterMemberSettings.Default with { ClusterHost = "127.0.0.1", ClusterPort = 0, Seeds = [seed] } };
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka
            .WithPharosNode(edgeSettings, PharosAkkaHosting.EdgeRole)
            .AddHocon("akka { loglevel = WARNING, stdout-loglevel = ERROR }", HoconAddMode.Prepend)
            .WithQueueProxy());
        using var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var queue = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<QueueProxy>();
        var address = Cluster.Get(system).SelfAddress.ToString();
        Log($"edge member {address} joining {seed}");

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(cloudUrl + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var client = new IngestClient(http, runId);

        var phases = new List<Phase>();
        var loadBefore = Stats.LoadAverage();
        try
        {
            Log($"warm-up: {warmup} tasks, one pull worker, sequential");
            await RunPhaseAsync(system, queue, address, client, "warm-up", poll: false, workers: 1, clients: 1, warmup,
                closedLoop: true, pollInterval);
            Log($"sequential: {tasks} tasks, one pull worker, the next POST once the previous task is assigned");
            phases.Add(await RunPhaseAsync(system, queue, address, client, "sequential", poll: false, workers: 1,
                clients: 1, tasks, closedLoop: true, pollInterval));
            Log($"concurrent: {tasks} tasks, {clients} clients each POSTing once its previous task is assigned, {clients} pull workers");
            phases.Add(await RunPhaseAsync(system, queue, address, client, "concurrent", poll: false, workers: clients,
                clients, tasks, closedLoop: true, pollInterval));
            Log($"flood: {tasks} tasks, {clients} clients POSTing back to back (waiting only for the 202), {clients} pull workers");
            phases.Add(await RunPhaseAsync(system, queue, address, client, "flood", poll: false, workers: clients,
                clients, tasks, closedLoop: false, pollInterval));
            Log($"baseline: {pollTasks} tasks, one worker polling every {pollInterval.TotalSeconds:0.#} s, sequential with random pauses");
            phases.Add(await RunPhaseAsync(system, queue, address, client, "baseline", poll: true, workers: 1, clients: 1,
                pollTasks, closedLoop: true, pollInterval));
        }
        finally
        {
            await host.StopAsync();
        }

        Stats.Write(Render(phases, pollInterval, loadBefore, Stats.LoadAverage()), options.Get("out"), "dispatch-bench");
        return 0;
    }

    private static async Task<Phase> RunPhaseAsync(ActorSystem system, IActorRef queue, string address, IngestClient client,
        string name, bool poll, int workers, int clients, int tasks, bool closedLoop, TimeSpan pollInterval)
    {
        var recorder = new Recorder();
        var registered = new List<Task>();
        var actors = new List<IActorRef>();
        for (var i = 0; i < workers; i++)
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            registered.Add(ready.Task);
            actors.Add(system.ActorOf(Props.Create(() => new BenchWorker(queue, $"bench-{name}-{i}-{client.RunId}", address,
                poll, pollInterval, recorder, ready)), $"bench-{name}-{i}"));
        }
        try
        {
            await Task.WhenAll(registered).WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new BenchException("the queue did not answer RegisterWorker with WorkerRegistered within 60 s: is the queue side of " +
                                     "the pull protocol (QueueActor leasing) in this build of the cloud node?");
        }

        var samples = new ConcurrentBag<Sample>();
        var perClient = Enumerable.Range(0, clients).Select(c => tasks / clients + (c < tasks % clients ? 1 : 0)).ToArray();
        var assignTimeout = poll ? pollInterval * 3 + TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(10);
        var pending = new ConcurrentBag<(string TaskId, long Sent, double AcceptMs)>();

        async Task ClientLoop(int c)
        {
            var random = new Random(c + 1);
            for (var n = 0; n < perClient[c]; n++)
            {
                if (poll) await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * pollInterval.TotalMilliseconds));
                var (taskId, sent, accepted) = await client.SubmitAsync($"{name}-c{c}-n{n}");
                var acceptMs = Ms(accepted - sent);
                if (!closedLoop) { pending.Add((taskId, sent, acceptMs)); continue; }
                var assigned = await WaitAssigned(recorder, taskId, assignTimeout);
                samples.Add(new Sample(Ms(assigned - sent), acceptMs));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(ClientLoop));
        foreach (var (taskId, sent, acceptMs) in pending)
            samples.Add(new Sample(Ms(await WaitAssigned(recorder, taskId, TimeSpan.FromSeconds(60)) - sent), acceptMs));

        foreach (var actor in actors) system.Stop(actor);
        await Task.Delay(500); // the queue hears of the stopped workers (it watches them) before the next phase
        var phase = new Phase(name, poll ? $"polling every {pollInterval.TotalSeconds:0.#} s" : "pull (WorkAvailable)",
            workers, clients, tasks, [.. samples], recorder.Duplicates);
        Log($"{name}: p50 {Stats.F(Stats.Percentile(Lat(phase), 50), "0.00")} ms, p99 {Stats.F(Stats.Percentile(Lat(phase), 99), "0.00")} ms, " +
            $"max {Stats.F(Lat(phase).Max(), "0.00")} ms");
        return phase;
    }

    private static async Task<long> WaitAssigned(Recorder recorder, string taskId, TimeSpan timeout)
    {
        try
        {
            return await recorder.For(taskId).Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new BenchException($"task {taskId} was accepted but not assigned to a worker within {timeout.TotalSeconds:0} s");
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static List<double> Lat(Phase p) => p.Samples.Select(s => s.LatencyMs).ToList();

    private static string Render(List<Phase> phases, TimeSpan pollInterval, string loadBefore, string loadAfter)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"## Submit → TaskAssigned latency — {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}");
        sb.AppendLine();
        sb.AppendLine($"{Stats.Machine()}. Cloud node: its own process (`dotnet Pharos.CloudNode.dll`, SQLite journal, MAX_QUEUE_SIZE raised); " +
                      "bench workers: an `edge` member in the bench process, through a cluster singleton proxy; one clock for both ends.");
        sb.AppendLine("Latency: from just before `POST /ingest` is sent to the worker's receipt of `TaskAssigned` for that task id. " +
                      "Accept: from the same instant to the 202.");
        sb.AppendLine("sequential: the next POST once the previous task was assigned; concurrent: the same, per client; " +
                      "flood: each client POSTs again as soon as it has its 202 (queueing included). " +
                      "baseline: a worker polling with RequestWork instead of waiting for WorkAvailable, a random pause of 0..interval before each POST.");
        sb.AppendLine($"Load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter}.");
        sb.AppendLine();
        sb.AppendLine("| run | worker | workers | clients | tasks | p50 ms | p90 ms | p99 ms | max ms | mean ms | accept p50 / p99 ms | goal p99 < 20 ms |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var p in phases)
        {
            var l = Lat(p);
            var a = p.Samples.Select(s => s.AcceptMs).ToList();
            var goal = p.Name == "baseline" ? "—" : Stats.Met(Stats.Percentile(l, 99) < 20);
            sb.AppendLine($"| {p.Name} | {p.Worker} | {p.Workers} | {p.Clients} | {l.Count} | {Stats.F(Stats.Percentile(l, 50), "0.00")} " +
                          $"| {Stats.F(Stats.Percentile(l, 90), "0.00")} | {Stats.F(Stats.Percentile(l, 99), "0.00")} | {Stats.F(l.Max(), "0.00")} " +
                          $"| {Stats.F(l.Average(), "0.00")} | {Stats.F(Stats.Percentile(a, 50), "0.00")} / {Stats.F(Stats.Percentile(a, 99), "0.00")} | {goal} |");
        }
        var seq = phases.FirstOrDefault(p => p.Name == "sequential");
        var baseline = phases.FirstOrDefault(p => p.Name == "baseline");
        if (seq is not null && baseline is not null)
        {
            sb.AppendLine();
            sb.AppendLine($"Baseline / pull (sequential): p50 ×{Stats.F(Stats.Percentile(Lat(baseline), 50) / Stats.Percentile(Lat(seq), 50), "0")}, " +
                          $"p99 ×{Stats.F(Stats.Percentile(Lat(baseline), 99) / Stats.Percentile(Lat(seq), 99), "0")}, " +
                          $"mean ×{Stats.F(Lat(baseline).Average() / Lat(seq).Average(), "0")} " +
                          $"(a poll every {pollInterval.TotalSeconds:0.#} s waits {pollInterval.TotalMilliseconds / 2:0} ms on average for arrivals at random times).");
        }
        var duplicates = phases.Sum(p => p.Duplicates);
        sb.AppendLine();
        sb.AppendLine($"Tasks assigned more than once: {duplicates}.");
        return sb.ToString();
    }

    private static void Log(string message) => Console.Error.WriteLine($"[dispatch-bench {DateTime.Now:HH:mm:ss}] {message}");

    /// <summary>POST /ingest with a distinct loopback repository URL per task (no DNS lookup, never a 409).</summary>
    private sealed class IngestClient(HttpClient http, string runId)
    {
        public string RunId => runId;

        public async Task<(string TaskId, long Sent, long Accepted)> SubmitAsync(string key)
        {
            var body = $"{{\"repo_url\":\"https://localhost/bench-{runId}/{key}\"}}";
            using var request = new HttpRequestMessage(HttpMethod.Post, "ingest")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var accepted = Stopwatch.GetTimestamp();
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Accepted)
                throw new BenchException($"POST /ingest answered {(int)response.StatusCode}: {text}");
            using var json = JsonDocument.Parse(text);
            return (json.RootElement.GetProperty("task_id").GetString()!, sent, accepted);
        }
    }
}

/// <summary>When each task id was first assigned (Stopwatch ticks); the client waits on the same entries.</summary>
public sealed class Recorder
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _assigned = new();
    private int _duplicates;

    public int Duplicates => Volatile.Read(ref _duplicates);

    public TaskCompletionSource<long> For(string taskId) =>
        _assigned.GetOrAdd(taskId, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Assigned(string taskId, long at)
    {
        if (!For(taskId).TrySetResult(at)) Interlocked.Increment(ref _duplicates);
    }
}

/// <summary>
/// A worker that speaks the pull protocol and does no work: it registers, asks for work, records each
/// <see cref="TaskAssigned"/> and reports it completed at once, then asks again. In pull mode it asks when told
/// <see cref="WorkAvailable"/>; in poll mode it ignores that and asks on a timer after every <see cref="NoWorkAvailable"/>.
/// </summary>
public sealed class BenchWorker : ReceiveActor, IWithTimers
{
    private static readonly TaskMetrics NoMetrics = new("0000000000000000000000000000000000000000", 0, 0, 0, 0,
        new StageSeconds { Clone = 0, Parse = 0, Train = 0, Store = 0 });

    private readonly IActorRef _queue;
    private readonly string _id;
    private readonly string _address;
    private bool _registered;
    private bool _asking;

    public ITimerScheduler Timers { get; set; } = null!;

    public BenchWorker(IActorRef queue, string id, string address, bool poll, TimeSpan pollInterval, Recorder recorder,
        TaskCompletionSource registered)
    {
        _queue = queue;
        _id = id;
        _address = address;

        Receive<RegisterTick>(_ => _queue.Tell(new RegisterWorker(_id, _address)));
        Receive<WorkerRegistered>(_ =>
        {
            if (_registered) return;
            _registered = true;
            Timers.Cancel(RegisterTick.Instance);
            registered.TrySetResult();
            Ask();
        });
        Receive<WorkAvailable>(_ =>
        {
            if (!poll && !_asking) Ask();
        });
        Receive<NoWorkAvailable>(_ =>
        {
            _asking = false;
            if (poll) Timers.StartSingleTimer(PollTick.Instance, PollTick.Instance, pollInterval);
        });
        Receive<PollTick>(_ =>
        {
            if (!_asking) Ask();
        });
        Receive<TaskAssigned>(assigned =>
        {
            recorder.Assigned(assigned.Task.TaskId, Stopwatch.GetTimestamp());
            _asking = false;
            // As a cloud's intake does once the result is stored: the queue completes the task and frees the lease.
            _queue.Tell(new RecordResult(assigned.Task.TaskId, assigned.LeaseId, NoMetrics));
            Ask();
        });
        Receive<StopTask>(_ => { });
        Receive<DeliveryVerdict>(_ => { });
    }

    protected override void PreStart()
    {
        Self.Tell(RegisterTick.Instance);
        Timers.StartPeriodicTimer(RegisterTick.Instance, RegisterTick.Instance, TimeSpan.FromSeconds(2));
    }

    private void Ask()
    {
        _asking = true;
        _queue.Tell(new RequestWork(_id));
    }

    private sealed class RegisterTick { public static readonly RegisterTick Instance = new(); }

    private sealed class PollTick { public static readonly PollTick Instance = new(); }
}
