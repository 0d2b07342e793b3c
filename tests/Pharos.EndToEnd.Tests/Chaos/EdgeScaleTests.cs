using System.Collections.Concurrent;
using System.Net;
using Xunit.Sdk;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// One cloud and four edges on loopback, many tasks (the cap raised) of a real repository served over smart HTTP:
/// the tasks spread over every worker; two edges are killed (kill -9) mid-way and every task still ends completed.
/// The full run first measures one edge alone, and prints the throughput of four edges against one (never asserted).
/// </summary>
[Trait("Category", "Chaos")]
public sealed class EdgeScaleTests(ITestOutputHelper output) : ChaosTest(output)
{
    private GitSources _sources = null!;

    public override async Task InitializeAsync() => _sources = Bed.Own(await GitSources.StartAsync(daemon: false));

    /// <summary>Training kept tiny: the scenario is about dispatch and loss of workers, not about embeddings.</summary>
    private static readonly IReadOnlyDictionary<string, string?> TinyTraining = new Dictionary<string, string?>
    {
        ["PHAROS_TRAIN_EPOCHS"] = "1",
        ["PHAROS_TRAIN_DIMENSIONS"] = "16",
    };

    [Fact]
    public async Task Tasks_spread_over_four_edges_and_all_complete_when_two_edges_are_killed_mid_way()
    {
        var tasks = ChaosSize.Get("SCALE_TASKS", ci: 12, full: 200);
        // Tasks one edge runs alone first, for the throughput baseline (none in the default run).
        var baselineTasks = ChaosSize.Get("SCALE_BASELINE_TASKS", ci: 0, full: 40);
        var timeout = TimeSpan.FromSeconds(60 + 15 * (tasks + baselineTasks));
        var figures = new ChaosFigures(Output, "edge_scale");

        // One repository of real code (networkx) under many names: every task is a different repository URL.
        var repo = _sources.CreateRealRepository("nx");
        var head = GitSources.Head(repo);
        var names = Enumerable.Range(1, baselineTasks + tasks).Select(i => $"nx-{i:D4}").ToList();
        foreach (var name in names)
            Directory.CreateSymbolicLink(Path.Combine(_sources.Repositories.Root, name), repo);
        var urls = names.Select(n => _sources.Http!.UrlFor(n)).ToList();

        var cloud = await Bed.StartCloudAsync(new Dictionary<string, string?>
        {
            ["MAX_QUEUE_SIZE"] = (tasks + baselineTasks + 10).ToString(),
            ["PHAROS_HISTORY_SIZE"] = "10000",
        });
        var edges = new List<EdgeProcess> { await Bed.StartIdleEdgeAsync(cloud, TinyTraining) };

        double? oneEdgePerMinute = null;
        if (baselineTasks > 0)
        {
            var ids = await SubmitAllAsync(cloud, urls.Take(baselineTasks));
            var jobs = await WaitForFinalAsync(cloud, ids, ids.Count, "the baseline tasks to finish on one edge", timeout, () => null);
            AssertAllCompleted(jobs.Values, head);
            oneEdgePerMinute = PerMinute(jobs.Values);
            figures.Add("one_edge_tasks", $"{ids.Count}");
            figures.Add("one_edge_tasks_per_minute", $"{oneEdgePerMinute:0.0}");
        }

        for (var i = 0; i < 3; i++) edges.Add(Bed.StartEdge(cloud, TinyTraining));
        foreach (var edge in edges.Skip(1))
        {
            await edge.WaitUntilJoinedAsync(cloud);
            await edge.WaitForIdleWorkerAsync(cloud);
        }
        var status = await cloud.GetWorkerStatusAsync();
        var workerOf = edges.ToDictionary(e => e, e => e.WorkersIn(status).Select(w => w.Str("id")!).Single());

        var taskIds = await SubmitAllAsync(cloud, urls.Skip(baselineTasks));
        // Mid-way: half the tasks done, and every edge has completed at least one (else they did not spread).
        var half = tasks / 2;
        var done = await WaitForFinalAsync(cloud, taskIds, half, "half the tasks to finish", timeout, () => null,
            final => workerOf.Values.All(w => final.Values.Any(j => j.Str("worker") == w)));
        var fourEdgesPerMinute = PerMinute(done.Values.OrderBy(j => j.Str("finished_at")).Take(half));
        Output.WriteLine($"{done.Count} of {tasks} finished on four edges: {fourEdgesPerMinute:0.0} tasks/min");

        // Kill two edges, those running a task when possible, so that their tasks are requeued.
        status = await cloud.GetWorkerStatusAsync();
        var victims = edges.OrderByDescending(e => e.WorkersIn(status).Any(w => w.Str("state") == "running")).Take(2).ToList();
        var running = victims.SelectMany(v => v.WorkersIn(status)).Select(w => w.Str("task_id")).OfType<string>().ToList();
        foreach (var victim in victims) await victim.Node.KillAsync();
        Output.WriteLine($"killed {string.Join(", ", victims.Select(v => v.Node.Name))} (running: {string.Join(", ", running)})");
        var survivors = edges.Except(victims).ToList();

        var all = await WaitForFinalAsync(cloud, taskIds, tasks, "every task to finish after two edges were killed", timeout,
            () => survivors.All(s => s.Node.HasExited) ? "every surviving edge exited" : null);
        AssertAllCompleted(all.Values, head);
        foreach (var (edge, worker) in workerOf)
            Assert.True(all.Values.Any(j => j.Str("worker") == worker), $"{edge.Node.Name} ({worker}) completed no task");
        // After the kill only the survivors finish work.
        var killedWorkers = victims.Select(v => workerOf[v]).ToHashSet();
        var requeued = all.Values.Count(j => j.TimelineStatuses().Contains("requeued"));
        Assert.All(all.Values.Where(j => j.TimelineStatuses().Contains("requeued")),
            j => Assert.False(killedWorkers.Contains(j.Str("worker") ?? ""), $"a killed edge finished a requeued task: {j.GetRawText()}"));

        figures.Add("edges", $"{edges.Count}");
        figures.Add("edges_killed", $"{victims.Count}");
        figures.Add("tasks", $"{tasks}");
        figures.Add("tasks_completed", $"{all.Values.Count(j => j.Status() == "completed")}");
        figures.Add("tasks_requeued", $"{requeued}");
        figures.Add("tasks_per_worker", $"{string.Join("/", workerOf.Values.Select(w => all.Values.Count(j => j.Str("worker") == w)))}");
        figures.Add("four_edges_tasks_per_minute", $"{fourEdgesPerMinute:0.0}");
        if (oneEdgePerMinute is { } one)
            figures.Add("four_vs_one_edge_ratio", $"{fourEdgesPerMinute / one:0.00}");
    }

    private static async Task<IReadOnlyList<string>> SubmitAllAsync(CloudProcess cloud, IEnumerable<string> urls)
    {
        var ids = new List<string>();
        foreach (var url in urls) ids.Add(await cloud.SubmitAsync(url));
        return ids;
    }

    /// <summary>
    /// Polls GET /jobs/{id} of the tasks not yet final until at least <paramref name="count"/> are final (and
    /// <paramref name="also"/> holds of them); returns the final jobs by id.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, JsonElement>> WaitForFinalAsync(CloudProcess cloud, IReadOnlyList<string> ids,
        int count, string what, TimeSpan timeout, Func<string?> abort, Func<IReadOnlyDictionary<string, JsonElement>, bool>? also = null)
    {
        var final = new ConcurrentDictionary<string, JsonElement>();
        await Eventually.WaitAsync(async () =>
            {
                await Parallel.ForEachAsync(ids.Where(id => !final.ContainsKey(id)), new ParallelOptions { MaxDegreeOfParallelism = 4 },
                    async (id, _) =>
                    {
                        using var response = await cloud.Client.GetAsync($"/jobs/{id}");
                        if (response.StatusCode == HttpStatusCode.NotFound)
                            throw new XunitException($"job {id} is unknown to the cloud");
                        if (!response.IsSuccessStatusCode) return;
                        var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                        if (Job.IsFinal(job)) final[id] = job;
                    });
                return final.Count;
            },
            n => n >= count && (also is null || also(final)), $"{what} ({count} of {ids.Count})", timeout,
            () => Bed.Diagnostics(30), () => cloud.AbortIfExited() ?? abort()
                ?? (final.Count == ids.Count ? "every task finished, and what was awaited of them does not hold" : null));
        return final;
    }

    private static void AssertAllCompleted(IEnumerable<JsonElement> jobs, string head)
    {
        var notCompleted = jobs.Where(j => j.Status() != "completed" || j.Str("commit_sha") != head).ToList();
        Assert.True(notCompleted.Count == 0,
            $"{notCompleted.Count} tasks did not complete on {head}: {string.Join("\n", notCompleted.Take(3).Select(j => j.GetRawText()))}");
    }

    /// <summary>Tasks per minute from the first submission to the last finish among <paramref name="jobs"/>.</summary>
    private static double PerMinute(IEnumerable<JsonElement> jobs)
    {
        var list = jobs.ToList();
        var start = list.Min(j => DateTimeOffset.Parse(j.Str("submitted_at")!));
        var end = list.Max(j => DateTimeOffset.Parse(j.Str("finished_at")!));
        return list.Count / Math.Max((end - start).TotalMinutes, 1e-9);
    }
}
