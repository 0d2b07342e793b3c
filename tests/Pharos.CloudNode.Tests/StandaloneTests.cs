using System.Net.Http.Json;
using Pharos.Testing.Git;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// The one-command set-up in process: a cloud node that also runs an edge worker, serving real git repositories.
/// (The same with separate cloud and edge processes is in Pharos.EndToEnd.Tests.)
/// </summary>
public sealed class StandaloneTests : IDisposable
{
    private readonly GitRepositoryFixture _git = new();

    public void Dispose() => _git.Dispose();

    /// <summary>A Python package whose modules import each other: a graph with edges to train on.</summary>
    private string PythonRepository(string name, int modules)
    {
        var files = Enumerable.Range(0, modules).Select(i => ($"pkg/m{i}.py",
            $"import pkg.m{(i + 1) % modules}\nfrom pkg import m{(i * 7 + 3) % modules}\n\ndef f{i}():\n    return {i}\n")).ToList();
        files.Add(("pkg/__init__.py", ""));
        return _git.CreateSource(name, [.. files]);
    }

    private static Task<CloudNodeHost> StartStandaloneAsync(int epochs) => CloudNodeHost.StartAsync(new Dictionary<string, string?>
    {
        ["PHAROS_STANDALONE"] = "true",
        ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        ["PHAROS_TRAIN_EPOCHS"] = epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PHAROS_TRAIN_DIMENSIONS"] = "16",
        ["PHAROS_TRAIN_THREADS"] = "1",
    });

    private static async Task<JsonElement> WaitForJobAsync(CloudNodeHost node, string taskId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var job = await node.JsonAsync($"/jobs/{taskId}");
            if (done(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {taskId} stayed {job}");
            await Task.Delay(50);
        }
    }

    private static async Task<string> SubmitAsync(CloudNodeHost node, string repo)
    {
        var response = await node.IngestAsync(repo);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!;
    }

    [Fact]
    public async Task A_submitted_repository_becomes_embeddings_with_metrics_and_the_work_directory_is_cleaned()
    {
        var repo = PythonRepository("standalone-complete", 40);
        await using var node = await StartStandaloneAsync(epochs: 2);
        var status = await node.JsonAsync("/worker/status");
        Assert.Equal("Idle", status.GetProperty("status").GetString());

        var taskId = await SubmitAsync(node, repo);
        var job = await WaitForJobAsync(node, taskId, j => j.GetProperty("status").GetString() is "completed" or "failed");

        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(GitRepositoryFixture.Head(repo), job.GetProperty("commit_sha").GetString());
        Assert.Equal(41, job.GetProperty("files_processed").GetInt32());
        Assert.True(job.GetProperty("edges").GetInt32() >= 40);
        Assert.Equal(41, job.GetProperty("embeddings_generated").GetInt32());
        foreach (var stage in new[] { "clone", "parse", "train" })
            Assert.True(job.GetProperty("stage_seconds").GetProperty(stage).GetDouble() >= 0);
        var timeline = job.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("detail").GetString()).ToList();
        Assert.Equal(["cloning", "parsing", "training", "storing", "uploading"],
            timeline.Where(d => d is "cloning" or "parsing" or "training" or "storing" or "uploading"));

        // The job points at its result in the cloud, and the links answer.
        var result = job.GetProperty("result");
        Assert.Equal((GitRepositoryFixture.Head(repo), 41, 16),
            (result.GetProperty("commit_sha").GetString(), result.GetProperty("files").GetInt32(), result.GetProperty("dims").GetInt32()));
        var embeddings = await node.JsonAsync(result.GetProperty("embeddings").GetString()!);
        Assert.Equal(41, embeddings.GetProperty("nodes").GetArrayLength());
        Assert.Equal(16, embeddings.GetProperty("vectors")[0].GetArrayLength());
        var graph = await node.JsonAsync(result.GetProperty("graph").GetString()!);
        Assert.Equal(job.GetProperty("edges").GetInt32(), graph.GetProperty("edges").GetArrayLength());
        Assert.False(Directory.Exists(Path.Combine(node.DataDir, "embeddings")), "the edge kept a copy of its own");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(node.DataDir, "outbox")));
        await WaitUntilAsync(() => !Directory.EnumerateFileSystemEntries(Path.Combine(node.DataDir, "work")).Any());
    }

    [Fact]
    public async Task Cancelling_a_job_while_it_trains_stops_the_worker_and_frees_it_for_the_next_job()
    {
        var slow = PythonRepository("standalone-slow", 300);
        var next = PythonRepository("standalone-next", 5);
        await using var node = await StartStandaloneAsync(epochs: 10_000);

        var taskId = await SubmitAsync(node, slow);
        await WaitUntilAsync(async () =>
            (await node.JsonAsync("/worker/status")).GetProperty("workers")[0].GetProperty("stage").GetString() == "training");

        var cancel = await node.Client.SendAsync(node.Request(HttpMethod.Delete, $"/jobs/{taskId}"));
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await WaitUntilAsync(async () =>
            (await node.JsonAsync("/worker/status")).GetProperty("workers")[0].GetProperty("state").GetString() == "idle");
        await WaitUntilAsync(() => !Directory.EnumerateFileSystemEntries(Path.Combine(node.DataDir, "work")).Any());
        Assert.Equal("cancelled", (await node.JsonAsync($"/jobs/{taskId}")).GetProperty("status").GetString());

        // The same worker takes the next task: nothing of the cancelled run is left holding it.
        var nextId = await SubmitAsync(node, next);
        await WaitForJobAsync(node, nextId, j => j.GetProperty("status").GetString() == "running" || j.GetProperty("status").GetString() == "completed");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not hold within 60 s");
            await Task.Delay(50);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));
}
