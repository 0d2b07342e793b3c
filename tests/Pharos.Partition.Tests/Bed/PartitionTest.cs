using System.Diagnostics;
using System.Globalization;
using System.Net;
using Pharos.Partition.Tests.Checking;
using Pharos.Partition.Tests.History;
using Xunit.Sdk;

namespace Pharos.Partition.Tests.Bed;

/// <summary>
/// How long a scenario runs. The default run (test.sh, CI) keeps each short (seconds); <c>PHAROS_PARTITION_FULL=1</c>
/// (bench/partition/run.sh) runs them at length; <c>PHAROS_PARTITION_&lt;NAME&gt;</c> overrides one figure.
/// </summary>
public static class PartitionSize
{
    private static readonly Pharos.Testing.Sizes.ScenarioSize Size = new("PHAROS_PARTITION_");

    public static bool Full => Size.Full;

    public static int Get(string name, int ci, int full) => Size.Get(name, ci, full);
}

/// <summary>
/// A scenario on a <see cref="PartitionBed"/> of its own: the test starts nodes and a <see cref="Workload"/>, lets the
/// nemesis loose, heals, and ends with <see cref="ConvergeAndCheckAsync"/>: the cluster converges, every accepted task
/// finishes, and the checker reads the history, the journal and the jobs.
/// </summary>
[Trait("Category", "Partition")]
public abstract class PartitionTest(ITestOutputHelper output, PartitionRepositories repositories) : IAsyncLifetime
{
    /// <summary>How long the cluster may take to converge after the last fault is healed (the README states it).</summary>
    public static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(60);

    /// <summary>The nodes' PHAROS_DOWN_AFTER_SECONDS: short, so that a scenario waits seconds, not minutes.</summary>
    public const int DownAfterSeconds = 5;

    protected ITestOutputHelper Output { get; } = output;
    protected PartitionBed Bed { get; private set; } = null!;

    public async Task InitializeAsync() => Bed = await PartitionBed.StartAsync(Output, repositories);

    public async Task DisposeAsync() => await Bed.DisposeAsync();

    /// <summary>A figure the scenario measured: in the test output, and appended to <c>PHAROS_PARTITION_RESULTS</c> (bench/partition/run.sh).</summary>
    protected void Figure(string scenario, string name, FormattableString value)
    {
        var line = $"{scenario}.{name} = {FormattableString.Invariant(value)}";
        Output.WriteLine("partition figure: " + line);
        if (Environment.GetEnvironmentVariable("PHAROS_PARTITION_RESULTS") is { Length: > 0 } file)
            lock (typeof(PartitionTest)) File.AppendAllText(file, line + Environment.NewLine);
    }

    /// <summary>
    /// The clients: one submitter every 5 s and a cancellation every 4 s by default; <c>PHAROS_PARTITION_FULL</c>
    /// runs two submitters every 1.5 s.
    /// </summary>
    protected Workload StartWorkload() => Begin(Workload.Create(Bed));

    /// <summary>
    /// The networkx task (training long enough to cut it in the middle), recorded in the history, then the workload:
    /// first in the queue, the task is leased at once instead of after the workload's.
    /// </summary>
    protected async Task<(Workload Workload, string Big)> StartWorkloadAfterBigAsync(CloudHost cloud)
    {
        var workload = Workload.Create(Bed);
        var op = await workload.SubmitAsync(Workload.ScenarioClient, workload.BigUrl, null, cloud);
        if (op.Status != 202) throw new XunitException($"the scenario's task was not accepted: {op}");
        return (Begin(workload), op.TaskId!);
    }

    private static Workload Begin(Workload workload) => workload.Begin(PartitionSize.Get("SUBMITTERS", ci: 1, full: 2),
        TimeSpan.FromMilliseconds(PartitionSize.Get("SUBMIT_PAUSE_MS", ci: 5000, full: 1500)), TimeSpan.FromSeconds(4));

    protected async Task WaitForStageAsync(CloudHost cloud, string taskId, string stage) =>
        await Eventually.WaitAsync(() => cloud.GetJsonAsync($"/jobs/{taskId}"), j => j.Str("stage") == stage || Job.IsFinal(j),
            $"task {taskId} to reach {stage}", TimeSpan.FromSeconds(120), () => Bed.Diagnostics());

    /// <summary>Until every cloud node is up and reachable in every cloud node's view, with every edge among them.</summary>
    protected async Task<TimeSpan> WaitConvergedAsync(string scenario)
    {
        var since = Bed.Nemesis.HealedAt ?? DateTimeOffset.UtcNow;
        await Eventually.WaitAsync(ConvergedAsync, converged => converged is null, "the cluster to converge after the nemesis stopped",
            ConvergenceBound, () => Bed.Diagnostics());
        var took = DateTimeOffset.UtcNow - since;
        Figure(scenario, "converged_seconds", $"{took.TotalSeconds:0.0}");
        return took;
    }

    /// <summary>Null when converged; otherwise what is not yet.</summary>
    private async Task<string?> ConvergedAsync()
    {
        var edges = Bed.Edges.Where(e => !e.Node.HasExited).Select(e => e.Address).ToList();
        if (edges.Any(a => a is null)) return "an edge has not started remoting";
        foreach (var cloud in Bed.Clouds)
        {
            var members = await cloud.GetJsonAsync("/cluster/members");
            var up = members.Array("members")
                .Where(m => m.Str("status") == "up" && m.TryGetProperty("reachable", out var r) && r.ValueKind == JsonValueKind.True)
                .Select(m => m.Str("address")).ToHashSet();
            foreach (var other in Bed.Clouds.Where(c => !up.Contains(c.Address)))
                return $"{cloud.Name} does not see {other.Name} up and reachable";
            foreach (var edge in edges.Where(e => !up.Contains(e)))
                return $"{cloud.Name} does not see edge {edge} up and reachable";
            var status = await cloud.GetJsonAsync("/worker/status");
            var workers = status.Workers().Select(w => (w.Str("address") ?? "") + " " + (w.Str("id") ?? "")).ToList();
            foreach (var edge in edges.Where(e => !workers.Any(w => w.Contains(e![(e!.IndexOf('@') + 1)..], StringComparison.Ordinal))))
                return $"{cloud.Name} lists no worker of edge {edge}";
        }
        return null;
    }

    /// <summary>
    /// Stops the workload, waits for the cluster to converge and every accepted task to finish, then runs the checker
    /// and fails the test with every violation it found.
    /// </summary>
    protected async Task ConvergeAndCheckAsync(string scenario, Workload workload, TimeSpan? finishWithin = null)
    {
        await WaitConvergedAsync(scenario);
        await workload.StopAsync();
        Output.WriteLine($"{scenario}: {workload.Summary()}");
        var cloud = Bed.Clouds.First(c => !c.Node.HasExited);
        var finals = new Dictionary<string, FinalJob>();
        var ids = workload.History.Where(o => o.TaskId is not null && o.Status is 202 or 200).Select(o => o.TaskId!).Distinct().ToList();
        var sw = Stopwatch.StartNew();
        if (!PartitionSize.Full)
        {
            // Short runs: what is still queued is cancelled (through the history, as a client would) instead of
            // waiting for one edge to work through it; what runs finishes. The full runs let the queue drain.
            foreach (var id in ids)
                if ((await JobAsync(cloud, id)).Status == "queued") await workload.CancelAsync(Workload.DrainClient, id, cloud);
        }
        foreach (var id in ids)
        {
            var job = await Eventually.WaitAsync(() => JobAsync(cloud, id), j => j.Status is null || Checker.FinalStatuses.Contains(j.Status),
                $"task {id} to finish", finishWithin ?? TimeSpan.FromSeconds(180), () => Bed.Diagnostics());
            finals[id] = job;
        }
        Figure(scenario, "accepted", $"{workload.Accepted.Count}");
        Figure(scenario, "finished_after_seconds", $"{sw.Elapsed.TotalSeconds:0.0}");
        var journal = await JournalReader.ReadAsync(Bed.Redis.Observer.GetDatabase());
        Figure(scenario, "journal_events", $"{journal.Entries.Count}");
        var violations = Checker.Check(workload.History, journal, finals);
        foreach (var v in violations) Output.WriteLine("violation: " + v);
        if (violations.Count > 0)
            throw new XunitException($"{violations.Count} violations:\n{string.Join("\n", violations.Take(20))}\n" +
                                     $"{workload.Summary()}\n{Bed.Diagnostics()}");
    }

    private static async Task<FinalJob> JobAsync(CloudHost cloud, string id)
    {
        using var response = await cloud.Client.GetAsync($"/jobs/{id}");
        if (response.StatusCode == HttpStatusCode.NotFound) return new FinalJob(id, null, []);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET /jobs/{id} answered {(int)response.StatusCode}");
        var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new FinalJob(id, job.Status(), job.TimelineStatuses());
    }
}
