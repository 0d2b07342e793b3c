using Pharos.EndToEnd.Tests.Chaos;
using Pharos.Testing.Redis;

namespace Pharos.EndToEnd.Tests;

/// <summary>With PHAROS_REDIS, results are kept in Redis: two cloud nodes on one redis-server serve the same result.</summary>
public sealed class RedisResultsTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    [Fact]
    public async Task Two_cloud_nodes_on_one_redis_serve_the_same_result_an_edge_delivered()
    {
        var repo = Sources.CreateRealRepository("nx-redis");
        var redis = Bed.Own(await RedisServer.StartAsync());
        var settings = new Dictionary<string, string?> { ["PHAROS_REDIS"] = redis.ConnectionString };
        var first = await Bed.StartCloudAsync(settings, name: "cloud-1");
        // The second cloud node and the edge join the first one at the same time.
        var starting = Bed.StartCloudAsync(new Dictionary<string, string?>(settings) { ["PHAROS_SEEDS"] = first.Seed }, name: "cloud-2");
        var edge = await Bed.StartIdleEdgeAsync(first, Scenarios.QuickTraining);
        var second = await starting;
        await Eventually.WaitAsync(async () => (await ChaosChecks.UpMembersAsync(first, "cloud")).Count
                                               + (await ChaosChecks.UpMembersAsync(second, "cloud")).Count,
            n => n == 4, "cloud-1 and cloud-2 to see each other up", null, () => Bed.Diagnostics(),
            () => first.AbortIfExited() ?? second.AbortIfExited());

        // Submitted to the node that does not run the queue; the edge delivers to the oldest cloud node's intake.
        var id = await second.SubmitAsync(Sources.Daemon!.UrlFor("nx-redis"));
        var job = await second.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        var repoUrl = job.Str("repo_url")!;

        // In Redis (the key layout of docs/storage.md), not in a node's own results.db.
        Assert.Equal(":1", await redis.CommandAsync("ZCARD", "results:repos"));
        Assert.Equal(":1", await redis.CommandAsync("HEXISTS", "results:latest", repoUrl));
        Assert.All(new[] { first, second }, c => Assert.False(File.Exists(Path.Combine(c.DataDir, "results.db")), $"{c.Node.Name} has a results.db"));

        var graph = await second.GetJsonAsync($"/repos/graph?{RepoRoutes.Query(repoUrl)}");
        var path = RepoRoutes.PackageImports(graph)[0].Init;
        var fromFirst = await ServedResult.ReadAsync(first, repoUrl, path);
        var fromSecond = await ServedResult.ReadAsync(second, repoUrl, path);
        fromFirst.AssertNpyIsTheJson();
        fromSecond.AssertSameAs(fromFirst, "on cloud-2 (against cloud-1)");
        var entry = Assert.Single(JsonDocument.Parse(fromSecond.Repos).RootElement.Array("repos"));
        Assert.Equal(id, entry.Str("task_id"));
        Assert.Equal(GitSources.Head(repo), entry.Str("commit_sha"));
    }
}
