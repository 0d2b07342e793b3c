namespace Pharos.EndToEnd.Tests.Support;

/// <summary>Waits that several tests share.</summary>
public static class Scenarios
{
    /// <summary>Settings of an edge whose training lasts minutes: long enough to kill or cancel it mid-training.</summary>
    public static readonly IReadOnlyDictionary<string, string?> LongTraining = new Dictionary<string, string?>
    {
        ["PHAROS_TRAIN_EPOCHS"] = "5000",
    };

    /// <summary>
    /// Settings of an edge that trains one epoch (of the default ten): for tests that need a task completed and its
    /// result stored and served, not embeddings of any quality. A job still clones, parses, trains and uploads.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> QuickTraining = new Dictionary<string, string?>
    {
        ["PHAROS_TRAIN_EPOCHS"] = "1",
    };

    /// <summary>
    /// Until the job is running in stage <c>training</c>, as the job record or the worker status says (whichever
    /// shows it first). Returns the job and the worker entry that runs it.
    /// </summary>
    public static async Task<(JsonElement Job, JsonElement? Worker)> WaitForTrainingAsync(CloudProcess cloud, string taskId,
        TestBed bed, Func<string?>? abort = null)
    {
        var (job, status) = await Eventually.WaitAsync(
            async () => (Job: await cloud.GetJobAsync(taskId), Status: await cloud.GetWorkerStatusAsync()),
            s => s.Job.Status() == "running"
                 && (s.Job.Str("stage") == "training" || WorkerOn(s.Status, taskId)?.Str("stage") == "training"),
            $"job {taskId} to be running in stage training", null, () => bed.Diagnostics(),
            () => cloud.AbortIfExited() ?? abort?.Invoke() ?? (Job.IsFinal(TryGetJob(cloud, taskId)) ? "the job already finished" : null));
        return (job, WorkerOn(status, taskId));
    }

    public static JsonElement? WorkerOn(JsonElement status, string taskId) =>
        status.Workers().Cast<JsonElement?>().FirstOrDefault(w => w!.Value.Str("task_id") == taskId);

    private static JsonElement TryGetJob(CloudProcess cloud, string taskId)
    {
        try { return cloud.GetJobAsync(taskId).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return default; }
    }

    /// <summary>
    /// The completed <paramref name="job"/> points at its result in the cloud, at its commit, and the result answers:
    /// a vector for each of its files.
    /// </summary>
    public static async Task AssertResultHomeAsync(CloudProcess cloud, JsonElement job)
    {
        var result = job.GetProperty("result");
        Assert.True(result.ValueKind == JsonValueKind.Object, $"the job has no result: {job.GetRawText()}");
        Assert.Equal(job.Str("commit_sha"), result.Str("commit_sha"));
        var embeddings = await cloud.GetJsonAsync(result.Str("embeddings")!);
        Assert.Equal(result.Num("files"), embeddings.GetProperty("nodes").GetArrayLength());
        Assert.Equal(result.Num("dims"), embeddings.GetProperty("vectors")[0].GetArrayLength());
    }

    /// <summary>Whether the cloud holds any result of <paramref name="repoUrl"/> (as the job record names it).</summary>
    public static async Task<bool> HasResultAsync(CloudProcess cloud, string repoUrl) =>
        (await cloud.GetJsonAsync("/repos")).GetProperty("repos").EnumerateArray().Any(r => r.Str("repo_url") == repoUrl);

    /// <summary>A condition on the file system, polled (the worker cleans up asynchronously).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TestBed bed, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => Task.FromResult(condition()), ok => ok, what, timeout, () => bed.Diagnostics());
}
