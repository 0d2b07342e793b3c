using Microsoft.Extensions.DependencyInjection;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.Testing.Redis;
using Pharos.Testing.Results;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>Which store a cloud node uses is decided where its journal is: SQLite beside it, or the same Redis.</summary>
public sealed class ResultStoreWiringTests
{
    [Fact]
    public async Task Without_redis_results_are_in_results_db_under_the_data_directory_and_a_restarted_node_serves_them()
    {
        var dataDir = CloudNodeHost.NewDataDir();
        try
        {
            const string repo = "https://github.com/pharos/kept";
            await using (var first = await CloudNodeHost.StartAsync(dataDir: dataDir))
            {
                Assert.IsType<SqliteResultStore>(first.Services.GetRequiredService<IResultStore>());
                await first.Services.GetRequiredService<IResultStore>().PutAsync(ResultSamples.Bundle(repo, "k1").ToBytes());
            }
            Assert.True(File.Exists(Path.Combine(dataDir, SqliteResultStore.FileName)));

            await using var restarted = await CloudNodeHost.StartAsync(dataDir: dataDir);
            var repos = (await restarted.JsonAsync("/repos")).GetProperty("repos");
            Assert.Equal(repo, repos[0].GetProperty("repo_url").GetString());
            Assert.Equal("k1", (await restarted.JsonAsync($"/repos/embeddings?repo_url={repo}")).GetProperty("commit_sha").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            CloudNodeHost.TryDelete(dataDir);
        }
    }

    [Fact]
    public async Task With_redis_two_cloud_nodes_serve_the_same_results_and_keep_follows_PHAROS_RESULTS_KEEP()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["PHAROS_REDIS"] = redis.ConnectionString,
            ["PHAROS_REDIS_KEY_PREFIX"] = "pharos:",
            ["PHAROS_RESULTS_KEEP"] = "2",
        };
        await using var one = await CloudNodeHost.StartAsync(settings);
        await using var two = await CloudNodeHost.StartAsync(settings);
        var store = one.Services.GetRequiredService<IResultStore>();
        Assert.IsType<RedisResultStore>(store);

        const string repo = "https://github.com/pharos/shared";
        foreach (var (commit, minutes) in new[] { ("a", 1), ("b", 2), ("c", 3) })
            await store.PutAsync(ResultSamples.Bundle(repo, commit, minutes: minutes).ToBytes());

        foreach (var node in new[] { one, two })
        {
            Assert.Equal("c", (await node.JsonAsync("/repos")).GetProperty("repos")[0].GetProperty("commit_sha").GetString());
            Assert.Equal(HttpStatusCode.OK, (await node.Client.GetAsync($"/repos/embeddings?repo_url={repo}&commit=b")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await node.Client.GetAsync($"/repos/embeddings?repo_url={repo}&commit=a")).StatusCode);
        }
        Assert.Equal(":2", await redis.CommandAsync("ZCARD", "pharos:results:commits:" + repo));

        // Deleted through one node: gone from the other.
        Assert.Equal(HttpStatusCode.NoContent, (await two.Client.SendAsync(two.Request(HttpMethod.Delete, $"/repos?repo_url={repo}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await one.Client.GetAsync($"/repos/graph?repo_url={repo}")).StatusCode);
    }
}
