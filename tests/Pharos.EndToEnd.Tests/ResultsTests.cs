using System.Text.Json.Nodes;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// One cloud node (results in SQLite), one edge with the default training settings, and a git daemon serving networkx
/// without its tests; when the tests start, the edge has ingested it and its job is final. The test that kills the
/// edge and restarts the cloud puts the restarted node in <see cref="Cloud"/>, so the tests pass in any order.
/// </summary>
public sealed class ResultsCluster : IAsyncLifetime
{
    public TestBed Bed { get; } = new();
    public GitSources Sources { get; private set; } = null!;
    public CloudProcess Cloud { get; set; } = null!;
    public EdgeProcess Edge { get; private set; } = null!;
    public string Repository { get; private set; } = null!;
    public string RepoUrl { get; private set; } = null!;
    public string TaskId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sources = Bed.Own(await GitSources.StartAsync(http: false));
        Repository = Sources.CreateRealRepository("nx-results");
        RepoUrl = Sources.Daemon!.UrlFor("nx-results");
        Cloud = await Bed.StartCloudAsync();
        Edge = await Bed.StartIdleEdgeAsync(Cloud);
        TaskId = await Cloud.SubmitAsync(RepoUrl);
        await Cloud.WaitForFinalAsync(TaskId, diagnostics: () => Bed.Diagnostics(), abort: Edge.AbortIfExited);
    }

    public async Task DisposeAsync() => await Bed.DisposeAsync();
}

/// <summary>
/// Results come home: what a real edge computed for a real repository is kept and served by the cloud (list,
/// embeddings, graph, similar files), makes sense, and outlives the edge and a kill -9 of the cloud node.
/// </summary>
public sealed class ResultsTests(ResultsCluster cluster, ITestOutputHelper output) : IClassFixture<ResultsCluster>, IDisposable
{
    private readonly Dictionary<NodeProcess, long> _marks = cluster.Bed.Marks();

    public void Dispose() => cluster.Bed.WriteLogs(output, _marks);

    private string Repo => RepoRoutes.Query(cluster.RepoUrl);

    [Fact]
    public async Task The_completed_job_s_result_is_listed_with_the_repository_s_commit_and_served_as_embeddings_and_as_the_graph_pharos_graph_prints()
    {
        var cloud = cluster.Cloud;
        var job = await cloud.GetJobAsync(cluster.TaskId);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        var head = GitSources.Head(cluster.Repository);
        Assert.Equal(head, job.Str("commit_sha"));

        // Listed: this repository at the commit the git repository has, from this job, counted as the job counted.
        var entry = Assert.Single((await cloud.GetJsonAsync("/repos")).Array("repos"));
        Assert.Equal(job.Str("repo_url"), entry.Str("repo_url"));
        Assert.Equal(head, entry.Str("commit_sha"));
        Assert.Equal(cluster.TaskId, entry.Str("task_id"));
        Assert.Equal(job.Num("files_processed"), entry.Num("files"));
        Assert.Equal(job.Num("edges"), entry.Num("edges"));
        Assert.Equal(job.Num("final_loss"), entry.Num("final_loss"));

        // The embeddings: one row of dims numbers per file, the files and dims that the list says.
        var embeddings = await cloud.GetJsonAsync($"/repos/embeddings?{Repo}");
        var nodes = embeddings.Array("nodes").Select(n => n.GetString()!).ToList();
        var vectors = embeddings.Array("vectors").ToList();
        Assert.Equal(head, embeddings.Str("commit_sha"));
        Assert.Equal(entry.Num("files"), nodes.Count);
        Assert.Equal(entry.Num("dims"), embeddings.Num("dims"));
        Assert.Equal(nodes.Count, vectors.Count);
        Assert.All(vectors, v => Assert.Equal(entry.Num("dims"), v.GetArrayLength()));
        // Asked for by its commit, the same.
        var atCommit = await RepoRoutes.GetAsync(cloud, $"/repos/embeddings?{Repo}&commit={head}");
        Assert.Equal(head, atCommit.Response.Headers.GetValues("X-Pharos-Commit").Single());
        Assert.Equal(embeddings.GetRawText(), JsonDocument.Parse(atCommit.Body).RootElement.GetRawText());

        // The graph is the document `pharos graph --json` prints for a checkout of that commit (all but the time it took).
        var servedGraph = JsonNode.Parse(await RepoRoutes.GetTextAsync(cloud, $"/repos/graph?{Repo}"))!.AsObject();
        var checkout = Path.Combine(cluster.Sources.Repositories.Root, "checkout-" + Guid.NewGuid().ToString("N"));
        Pharos.Testing.Git.GitCli.Run(cluster.Sources.Repositories.Root, "clone", "-q", cluster.Repository, checkout);
        Pharos.Testing.Git.GitCli.Run(checkout, "checkout", "-q", "--detach", entry.Str("commit_sha")!);
        var printedGraph = JsonNode.Parse(await PharosCli.RunAsync(output, "graph", checkout, "--json"))!.AsObject();
        foreach (var graph in new[] { servedGraph, printedGraph }) Assert.True(graph.Remove("parse_seconds"), "a graph document without parse_seconds");
        Assert.True(JsonNode.DeepEquals(printedGraph, servedGraph), GraphDifference(printedGraph, servedGraph));
        Assert.Equal(nodes, servedGraph["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(entry.Num("edges"), servedGraph["edges"]!.AsArray().Count);
        Assert.True(entry.Num("edges") > 100, $"networkx has hundreds of imports between its modules: {entry.GetRawText()}");

        // The .npy download holds the same numbers as the JSON, rows in the order of nodes.
        (await ServedResult.ReadAsync(cloud, cluster.RepoUrl, nodes[0])).AssertNpyIsTheJson();
    }

    [Fact]
    public async Task For_a_package_s_init_the_ten_most_similar_files_include_modules_it_imports()
    {
        var cloud = cluster.Cloud;
        var graph = await cloud.GetJsonAsync($"/repos/graph?{Repo}");
        var packages = RepoRoutes.PackageImports(graph);
        Assert.NotEmpty(packages);

        // Every package whose __init__.py imports modules of the repository: how many of its 10 nearest files it imports.
        var found = new List<(string Init, int Imports, int InTopTen)>();
        foreach (var (init, imports) in packages)
        {
            var similar = await cloud.GetJsonAsync($"/repos/similar?{Repo}&path={Uri.EscapeDataString(init)}&k=10");
            var results = similar.Array("results").ToList();
            Assert.Equal(init, similar.Str("path"));
            // Results are ranked by the link score (the edge kept the context vectors), not by cosine.
            Assert.Equal("link", similar.Str("measure"));
            Assert.Equal(10, results.Count);
            var paths = results.Select(r => r.Str("path")!).ToList();
            var scores = results.Select(r => r.Num("score")!.Value).ToList();
            Assert.DoesNotContain(init, paths);
            Assert.Equal(scores.OrderDescending(), scores);
            Assert.All(scores, s => Assert.True(double.IsFinite(s), $"score {s}"));
            found.Add((init, imports.Count, paths.Count(imports.Contains)));
            output.WriteLine($"{init}: imports {imports.Count} files, {found[^1].InTopTen} of them among its 10 most similar " +
                             $"(top: {string.Join(", ", results.Take(3).Select(r => $"{r.Str("path")} {r.Num("score"):0.000}"))})");
        }
        var withOne = found.Count(f => f.InTopTen > 0);
        output.WriteLine($"{withOne} of {found.Count} packages have a module they import among their 10 most similar files");

        // The package that imports most (networkx/algorithms) finds one of its modules among its ten nearest, and so
        // do most packages: what a user asking "what is like this package" expects.
        var busiest = found[0];
        Assert.True(busiest.InTopTen > 0, $"none of the {busiest.Imports} modules {busiest.Init} imports is among its 10 most similar files");
        Assert.True(withOne * 2 > found.Count,
            $"only {withOne} of {found.Count} packages have an imported module among their 10 most similar files");
    }

    [Fact]
    public async Task The_cloud_serves_the_same_bytes_after_the_edge_is_killed_and_after_its_own_kill_9_and_restart_on_the_same_data()
    {
        var (cloud, edge, bed) = (cluster.Cloud, cluster.Edge, cluster.Bed);
        var graph = await cloud.GetJsonAsync($"/repos/graph?{Repo}");
        var path = RepoRoutes.PackageImports(graph)[0].Init;
        var served = await ServedResult.ReadAsync(cloud, cluster.RepoUrl, path);
        served.AssertNpyIsTheJson();

        // The edge is gone, and the cloud knows it: its worker is offline.
        await edge.Node.KillAsync();
        await cloud.WaitForWorkerStatusAsync(s => edge.WorkersIn(s).All(w => w.Str("state") == "offline"),
            "the killed edge's worker offline", diagnostics: () => bed.Diagnostics());
        (await ServedResult.ReadAsync(cloud, cluster.RepoUrl, path)).AssertSameAs(served, "after the edge was killed");

        // kill -9 of the cloud node, and a new one over its data directory (results.db): nothing computed is lost.
        await cloud.Node.KillAsync();
        cluster.Cloud = cloud = await bed.StartCloudAsync(name: "cloud-restarted", dataDir: cloud.DataDir);
        (await ServedResult.ReadAsync(cloud, cluster.RepoUrl, path)).AssertSameAs(served, "after kill -9 of the cloud node and a restart");
        Assert.Equal("completed", (await cloud.GetJobAsync(cluster.TaskId)).Status());
    }

    /// <summary>Where two graph documents differ, for a failure message: counts and a few of the differences.</summary>
    private static string GraphDifference(JsonObject printed, JsonObject served)
    {
        static IEnumerable<string> Items(JsonObject graph, string name) =>
            graph[name] is JsonArray items ? items.Select(i => i!.ToJsonString()) : [];
        var text = new System.Text.StringBuilder("`pharos graph --json` and GET /repos/graph differ:\n");
        foreach (var name in new[] { "nodes", "edges" })
        {
            var (p, s) = (Items(printed, name).ToList(), Items(served, name).ToList());
            text.AppendLine($"{name}: printed {p.Count}, served {s.Count}; only printed: {string.Join(" ", p.Except(s).Take(5))}; " +
                            $"only served: {string.Join(" ", s.Except(p).Take(5))}");
        }
        foreach (var name in new[] { "unresolved", "languages", "skipped_files", "warnings" })
            if (!JsonNode.DeepEquals(printed[name], served[name]))
                text.AppendLine($"{name}: printed {Short(printed[name])}, served {Short(served[name])}");
        return text.ToString();

        static string Short(JsonNode? node) => node?.ToJsonString() is { } json ? json.Length <= 300 ? json : json[..300] + "..." : "nothing";
    }
}
