using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Pharos.Testing.Git;
using Xunit.Sdk;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// One cloud process, one edge process, both git servers over networkx and a repository whose branch and tag differ
/// (<see cref="RefsRepository"/>), and a third, smart HTTP server that never answers (a clone from it lasts until its
/// job is cancelled), shared by the tests of <see cref="OriginalClientContractTests"/>.
/// </summary>
public sealed class ContractCluster : IAsyncLifetime
{
    public const string Networkx = "nx-contract";
    public const string Refs = "refs";

    public TestBed Bed { get; } = new();
    public GitSources Sources { get; private set; } = null!;
    public RefsRepository RefsRepository { get; private set; } = null!;
    public SmartHttpGitServer Stalled { get; private set; } = null!;
    public CloudProcess Cloud { get; private set; } = null!;
    public EdgeProcess Edge { get; private set; } = null!;

    /// <summary>The original's frontend: the admin token as a bearer token, and what axios accepts.</summary>
    public HttpClient Frontend { get; private set; } = null!;

    /// <summary>The same without a token.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    private IDisposable? _stall;

    public async Task InitializeAsync()
    {
        Sources = Bed.Own(await GitSources.StartAsync());
        Sources.CreateRealRepository(Networkx);
        RefsRepository = Sources.CreateRefsRepository(Refs);
        Stalled = Bed.Own(await SmartHttpGitServer.StartAsync(Sources.Repositories.Root));
        _stall = Stalled.StallRequests();
        Cloud = await Bed.StartCloudAsync();
        // Enough epochs that networkx keeps the worker busy for several seconds, longer than the frontend's 2 s
        // between two looks at the worker; the small repositories train in well under a second all the same.
        Edge = await Bed.StartIdleEdgeAsync(Cloud, new Dictionary<string, string?> { ["PHAROS_TRAIN_EPOCHS"] = "20" });
        Frontend = Client(CloudProcess.AdminToken);
        Anonymous = Client(null);
    }

    private HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = Cloud.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Accept.ParseAdd("application/json, text/plain, */*");
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task DisposeAsync()
    {
        Frontend?.Dispose();
        Anonymous?.Dispose();
        // Held requests are answered (503) rather than left for the server's shutdown to wait on.
        _stall?.Dispose();
        await Bed.DisposeAsync();
    }
}

/// <summary>
/// The original Python Pharos's routes (/api/v1/ingestion/...) as its clients use them, against a real cloud and edge:
/// a plain HttpClient and JsonDocument, the names and JSON types of the original's models (IngestionResponse,
/// JobRecord, JobHistoryResponse, the health answer, WorkerStatusResponse), never Pharos's DTOs. Then refs end to end:
/// a branch, a tag and a commit of one repository, each stored as that commit's graph, and refs it lacks.
/// </summary>
public sealed partial class OriginalClientContractTests(ContractCluster cluster, ITestOutputHelper output)
    : IClassFixture<ContractCluster>, IDisposable
{
    private const string Api = "/api/v1/ingestion";

    /// <summary>JavaScript's Number.MAX_SAFE_INTEGER: an integer above it does not survive JSON.parse.</summary>
    private const long MaxSafeInteger = 9_007_199_254_740_991;

    /// <summary>The frontend's refetchInterval for the worker status.</summary>
    private static readonly TimeSpan FrontendPoll = TimeSpan.FromSeconds(2);

    private readonly Dictionary<NodeProcess, long> _marks = cluster.Bed.Marks();

    public void Dispose() => cluster.Bed.WriteLogs(output, _marks);

    private CloudProcess Cloud => cluster.Cloud;

    [Fact]
    public async Task The_frontend_ingests_without_a_branch_watches_the_worker_every_2_s_and_finds_the_completed_job_in_history()
    {
        var url = cluster.Sources.Http!.UrlFor(ContractCluster.Networkx);
        var ingestion = await IngestAsync(url);
        var job = await JobByNumberAsync(ingestion);
        Assert.Equal(url, job.Str("repo_url"));
        Assert.True(!job.TryGetProperty("ref", out var gitRef) || gitRef.ValueKind == JsonValueKind.Null,
            $"a task without a branch has a ref: {job.GetRawText()}");

        // getWorkerStatus(), every 2 s, until the worker trained (a status starting with Training) and went idle.
        var statuses = new List<string>();
        var sawTraining = false;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = RequireString(await GetJsonAsync($"{Api}/worker/status"), "status");
            statuses.Add(status);
            // The frontend shows any status starting with Training as training; this job's names its repository.
            if (status == $"Training Graph on {url}") sawTraining = true;
            else if (sawTraining && status == "Idle") break;
            if (!sawTraining && Job.IsFinal(await Cloud.GetJobAsync(ingestion.TaskId)))
                throw new XunitException($"job {ingestion.JobId} ended between two looks 2 s apart, before the status showed " +
                                         $"it training (the job: {(await Cloud.GetJobAsync(ingestion.TaskId)).GetRawText()}); " +
                                         $"statuses seen: {string.Join(" | ", statuses)}");
            if (clock.Elapsed > TimeSpan.FromMinutes(3) || Abort() is not null)
                throw new XunitException($"the worker status never went Training then Idle ({Abort() ?? "3 minutes"}): " +
                                         $"{string.Join(" | ", statuses)}\n{cluster.Bed.Diagnostics()}");
            await Task.Delay(FrontendPoll);
        }
        output.WriteLine($"worker statuses every 2 s: {string.Join(" | ", statuses)}");

        // getJobHistory(limit), until the finished job is listed.
        var record = await HistoryRecordAsync(ingestion.TaskId, r => r.Str("status") is "completed" or "failed");
        Assert.True(record.Str("status") == "completed", record.GetRawText());
        Assert.Equal(url, record.Str("repo_url"));
        Assert.True(record.GetProperty("files_processed").GetInt64() > 0, record.GetRawText());
        Assert.True(record.GetProperty("embeddings_generated").GetInt64() > 0, record.GetRawText());
        Assert.True(record.GetProperty("duration_seconds").GetDouble() > 0, record.GetRawText());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("error").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("reason").ValueKind);
        // The original's timestamp is when the job was submitted.
        var finished = await Cloud.GetJobAsync(ingestion.TaskId);
        // Written as Python's isoformat() writes it, to the microsecond.
        var submitted = DateTimeOffset.Parse(finished.Str("submitted_at")!, CultureInfo.InvariantCulture);
        var timestamp = DateTimeOffset.Parse(record.Str("timestamp")!, CultureInfo.InvariantCulture);
        Assert.True((submitted - timestamp).Ticks is >= 0 and < 10, $"timestamp {timestamp:O} is not submitted_at {submitted:O}");
    }

    [Fact]
    public async Task The_frontend_ingests_a_branch_at_its_commit_and_a_missing_branch_ends_failed_with_ref_not_found_in_history()
    {
        var url = cluster.Sources.Http!.UrlFor(ContractCluster.Refs);
        // One repository at two refs: two tasks, not duplicates.
        var feature = await IngestAsync(url, RefsRepository.Branch);
        var missing = await IngestAsync(url, "no-such-branch");
        Assert.NotEqual(feature.JobId, missing.JobId);
        Assert.Equal(RefsRepository.Branch, (await JobByNumberAsync(feature)).Str("ref"));
        Assert.Equal("no-such-branch", (await JobByNumberAsync(missing)).Str("ref"));

        var done = await Cloud.WaitForFinalAsync(feature.TaskId, diagnostics: () => cluster.Bed.Diagnostics(), abort: Abort);
        Assert.True(done.Status() == "completed", done.GetRawText());
        Assert.Equal(cluster.RefsRepository.FeatureSha, done.Str("commit_sha"));
        var failed = await Cloud.WaitForFinalAsync(missing.TaskId, diagnostics: () => cluster.Bed.Diagnostics(), abort: Abort);
        AssertRefNotFound(failed, "no-such-branch");

        var completed = await HistoryRecordAsync(feature.TaskId, r => r.Str("status") == "completed");
        Assert.True(completed.GetProperty("files_processed").GetInt64() > 0, completed.GetRawText());
        var record = await HistoryRecordAsync(missing.TaskId, r => r.Str("status") == "failed");
        Assert.Equal("ref_not_found", record.Str("reason"));
        Assert.Contains("no-such-branch", RequireString(record, "error"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("files_processed").ValueKind);
        Assert.Equal(JsonValueKind.Null, record.GetProperty("embeddings_generated").ValueKind);
    }

    [Fact]
    public async Task The_same_repository_and_branch_twice_is_409_with_a_detail_another_branch_is_200_and_job_ids_cancel_both()
    {
        // A server that never answers: the first task stays running (or queued) until it is cancelled, so the second
        // submission always finds it.
        var url = cluster.Stalled.UrlFor(ContractCluster.Refs);
        var first = await IngestAsync(url, "main");

        var (response, body) = await PostIngestAsync(cluster.Frontend, url, "main");
        var problem = AssertProblem(response, body, HttpStatusCode.Conflict);
        Assert.Contains(url, RequireString(problem, "detail"), StringComparison.Ordinal);
        Assert.Equal(first.TaskId, problem.Str("task_id"));

        var other = await IngestAsync(url, "develop");
        Assert.NotEqual(first.JobId, other.JobId);
        Assert.NotEqual(first.TaskId, other.TaskId);

        foreach (var ingestion in new[] { first, other })
        {
            using var cancel = await cluster.Frontend.DeleteAsync($"/jobs/{ingestion.JobId}");
            var text = await cancel.Content.ReadAsStringAsync();
            Assert.True(cancel.StatusCode == HttpStatusCode.OK, $"DELETE /jobs/{ingestion.JobId} answered {(int)cancel.StatusCode}: {text}");
            var cancelled = JsonDocument.Parse(text).RootElement;
            Assert.Equal(ingestion.TaskId, cancelled.Str("task_id"));
            Assert.Equal("cancelled", cancelled.Status());
        }
        await Cloud.WaitForWorkerStatusAsync(
            s => cluster.Edge.WorkersIn(s).Any() && cluster.Edge.WorkersIn(s).All(w => w.Str("state") == "idle"),
            "the worker idle after the cancellations", diagnostics: () => cluster.Bed.Diagnostics(), abort: Abort);

        // Cancelled jobs are finished: the history lists them, in the original's record shape.
        var record = await HistoryRecordAsync(first.TaskId, r => r.Str("status") == "cancelled");
        Assert.Equal(url, record.Str("repo_url"));
    }

    [Fact]
    public async Task Refusals_are_problem_json_with_a_detail_an_invalid_branch_is_400_and_no_token_is_401()
    {
        var url = cluster.Sources.Http!.UrlFor(ContractCluster.Refs);
        foreach (var branch in new[] { "main~1", "-upload-pack", "feature..main", "main^" })
        {
            var (response, body) = await PostIngestAsync(cluster.Frontend, url, branch);
            var problem = AssertProblem(response, body, HttpStatusCode.BadRequest);
            Assert.Contains("ref", RequireString(problem, "detail"), StringComparison.Ordinal);
        }

        var (unauthenticated, text) = await PostIngestAsync(cluster.Anonymous, url, RefsRepository.Branch);
        AssertProblem(unauthenticated, text, HttpStatusCode.Unauthorized);
        Assert.Contains(unauthenticated.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");

        // Nothing of these was queued.
        var jobs = await GetJsonAsync("/jobs?limit=100");
        Assert.DoesNotContain(jobs.Array("jobs"), j => j.Str("ref") is "main~1" or "-upload-pack" or "feature..main" or "main^");
    }

    [Fact]
    public async Task Health_answers_200_healthy_with_redis_and_cluster_healthy()
    {
        using var response = await cluster.Anonymous.GetAsync($"{Api}/health");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {Api}/health answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var health = JsonDocument.Parse(body).RootElement;
        Assert.Equal("healthy", RequireString(health, "status"));
        var services = health.GetProperty("services");
        Assert.Equal(JsonValueKind.Object, services.ValueKind);
        Assert.Equal("healthy", RequireString(services, "redis"));
        Assert.Equal("healthy", RequireString(services, "cluster"));
    }

    [Fact]
    public async Task A_branch_over_smart_http_a_tag_over_git_daemon_and_a_commit_are_embedded_at_their_commits_and_missing_refs_fail_once()
    {
        var refs = cluster.RefsRepository;
        var http = cluster.Sources.Http!.UrlFor(ContractCluster.Refs);
        var daemon = cluster.Sources.Daemon!.UrlFor(ContractCluster.Refs);
        // One worker takes them in order; the tag goes last, through the pharos command.
        var branch = await SubmitRefAsync(http, RefsRepository.Branch);
        var commit = await SubmitRefAsync(daemon, refs.FirstSha);
        var lostTag = await SubmitRefAsync(daemon, "v9.9");
        var lostBranch = await SubmitRefAsync(http, "refs/heads/gone");

        var onBranch = await FinalAsync(branch);
        AssertCompletedAt(onBranch, RefsRepository.Branch, refs.FeatureSha);
        await Scenarios.AssertResultHomeAsync(Cloud, onBranch);
        var branchGraph = await GraphAsync(http, refs.FeatureSha);
        Assert.Contains(RefsRepository.FeatureFile, branchGraph.Nodes);
        Assert.DoesNotContain(RefsRepository.TagFile, branchGraph.Nodes);
        Assert.DoesNotContain(RefsRepository.MainFile, branchGraph.Nodes);
        Assert.Contains((RefsRepository.FeatureFile, "app/core.py"), branchGraph.Edges);

        var atCommit = await FinalAsync(commit);
        AssertCompletedAt(atCommit, refs.FirstSha, refs.FirstSha);
        var commitNodes = await NodesAtAsync(daemon, refs.FirstSha);
        Assert.DoesNotContain(RefsRepository.FeatureFile, commitNodes);
        Assert.DoesNotContain(RefsRepository.TagFile, commitNodes);
        Assert.DoesNotContain(RefsRepository.MainFile, commitNodes);
        Assert.Contains("app/core.py", commitNodes);

        AssertRefNotFound(await FinalAsync(lostTag), "v9.9");
        AssertRefNotFound(await FinalAsync(lostBranch), "refs/heads/gone");

        var cli = await PharosCli.RunAsync(output, "submit", daemon, "--ref", RefsRepository.Tag, "--wait",
            "--url", Cloud.Client.BaseAddress!.ToString(), "--token", CloudProcess.AdminToken);
        var queued = QueuedLine().Match(cli);
        Assert.True(queued.Success, $"no 'Queued <id>: {daemon} at {RefsRepository.Tag}' line in:\n{cli}");
        Assert.Contains($"commit       {refs.TagSha} ({RefsRepository.Tag})", cli, StringComparison.Ordinal);
        var onTag = await Cloud.GetJobAsync(queued.Groups["id"].Value);
        AssertCompletedAt(onTag, RefsRepository.Tag, refs.TagSha);
        // The newest result of the daemon's URL: the tag's commit, with the module only the tag has.
        var tagGraph = await GraphAsync(daemon, refs.TagSha);
        Assert.Contains(RefsRepository.TagFile, tagGraph.Nodes);
        Assert.DoesNotContain(RefsRepository.FeatureFile, tagGraph.Nodes);
        Assert.DoesNotContain(RefsRepository.MainFile, tagGraph.Nodes);
        Assert.Contains((RefsRepository.TagFile, "app/cli.py"), tagGraph.Edges);

        // Each ref keeps its own results: the commit SHA's result is still there beside the tag's (one commit kept per
        // repository and ref), /repos lists both, and the earlier job's links still read its own result.
        var (atSha, _) = await RepoRoutes.GetAsync(Cloud, $"/repos/graph?{RepoRoutes.Query(daemon)}&ref={refs.FirstSha}");
        Assert.Equal(refs.FirstSha, atSha.Headers.GetValues("X-Pharos-Commit").Single());
        Assert.Equal(refs.FirstSha, atSha.Headers.GetValues("X-Pharos-Ref").Single());
        var listed = (await Cloud.GetJsonAsync("/repos")).GetProperty("repos").EnumerateArray()
            .Where(r => r.Str("repo_url") == daemon).Select(r => (r.Str("ref"), r.Str("commit_sha"))).ToList();
        Assert.Equal([(RefsRepository.Tag, refs.TagSha), (refs.FirstSha, refs.FirstSha)], listed);
        await Scenarios.AssertResultHomeAsync(Cloud, await Cloud.GetJobAsync(commit));
        Assert.Contains($"&ref={refs.FirstSha}", (await Cloud.GetJobAsync(commit)).GetProperty("result").Str("graph"), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Queued (?<id>\S+): \S+ at v1\.0 ")]
    private static partial Regex QueuedLine();

    // ---- The original's routes, as its clients call them ----

    /// <summary>What a client of the original reads of an IngestionResponse, and Pharos's task id beside it.</summary>
    private sealed record Ingestion(long JobId, long QueuePosition, string TaskId);

    /// <summary>
    /// ingestRepository(repoUrl, branch): POST /api/v1/ingestion/ingest/{repoUrl} with no body, the branch as a query
    /// parameter when given; 200 and the original's IngestionResponse, checked name by name and type by type.
    /// </summary>
    private async Task<Ingestion> IngestAsync(string repoUrl, string? branch = null)
    {
        var (response, body) = await PostIngestAsync(cluster.Frontend, repoUrl, branch);
        Assert.True(response.StatusCode == HttpStatusCode.OK,
            $"POST {Api}/ingest/{repoUrl}{(branch is null ? "" : $"?branch={branch}")} answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal(JsonValueKind.Object, answer.ValueKind);
        Assert.Equal("dispatched", RequireString(answer, "status"));
        var jobId = RequireSafeInteger(answer, "job_id");
        Assert.True(jobId >= 1, $"job_id {jobId}");
        var position = RequireSafeInteger(answer, "queue_position");
        Assert.True(position >= 1, $"queue_position {position}");
        Assert.Equal("Edge-Worker", RequireString(answer, "target"));
        var size = RequireSafeInteger(answer, "queue_size");
        var max = RequireSafeInteger(answer, "max_queue_size");
        Assert.True(position <= size && size <= max, $"queue_position {position}, queue_size {size}, max_queue_size {max}");
        Assert.Equal($"Task queued successfully. Position: {position}/{max}", RequireString(answer, "message"));
        // Pharos's own, added.
        Assert.Equal(repoUrl, RequireString(answer, "repo_url"));
        Assert.Equal("normal", RequireString(answer, "priority"));
        if (branch is null) Assert.Equal(JsonValueKind.Null, answer.GetProperty("ref").ValueKind);
        else Assert.Equal(branch, RequireString(answer, "ref"));
        output.WriteLine($"POST {Api}/ingest/{repoUrl}{(branch is null ? "" : $"?branch={branch}")} → {body}");
        return new Ingestion(jobId, position, RequireString(answer, "task_id"));
    }

    private static async Task<(HttpResponseMessage Response, string Body)> PostIngestAsync(HttpClient client, string repoUrl,
        string? branch)
    {
        // The URL goes into the path as the frontend writes it: not encoded, its slashes and colon as they are.
        var path = $"{Api}/ingest/{repoUrl}" + (branch is null ? "" : $"?branch={Uri.EscapeDataString(branch)}");
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET /jobs/{job_id}: the task the ingest answer named, under its number.</summary>
    private async Task<JsonElement> JobByNumberAsync(Ingestion ingestion)
    {
        var job = await GetJsonAsync($"/jobs/{ingestion.JobId}");
        Assert.Equal(ingestion.TaskId, job.Str("task_id"));
        Assert.Equal(ingestion.JobId, RequireSafeInteger(job, "job_id"));
        return job;
    }

    /// <summary>
    /// getJobHistory(limit) until the record of <paramref name="taskId"/> is listed as <paramref name="done"/> says;
    /// every record of every page read must have the original JobRecord's fields and types.
    /// </summary>
    private async Task<JsonElement> HistoryRecordAsync(string taskId, Func<JsonElement, bool> done)
    {
        var record = await Eventually.WaitAsync(async () =>
            {
                var history = await GetJsonAsync($"{Api}/jobs/history?limit=20");
                var jobs = history.GetProperty("jobs");
                Assert.Equal(JsonValueKind.Array, jobs.ValueKind);
                foreach (var entry in jobs.EnumerateArray()) AssertJobRecord(entry);
                return jobs.EnumerateArray().FirstOrDefault(j => j.Str("task_id") == taskId);
            }, r => r.ValueKind == JsonValueKind.Object && done(r), $"job {taskId} in {Api}/jobs/history",
            diagnostics: () => cluster.Bed.Diagnostics(), abort: Abort);
        output.WriteLine($"history record: {record.GetRawText()}");
        return record;
    }

    /// <summary>The original's JobRecord: every field present, with its JSON type (the optional ones null or of it).</summary>
    private static void AssertJobRecord(JsonElement record)
    {
        Assert.Equal(JsonValueKind.Object, record.ValueKind);
        RequireString(record, "repo_url");
        Assert.Contains(RequireString(record, "status"), new[] { "completed", "failed", "skipped", "cancelled" });
        RequireNullable(record, "duration_seconds", JsonValueKind.Number);
        RequireNullable(record, "files_processed", JsonValueKind.Number, integer: true);
        RequireNullable(record, "embeddings_generated", JsonValueKind.Number, integer: true);
        var timestamp = RequireString(record, "timestamp");
        Assert.True(IsoTimestamp().IsMatch(timestamp), $"timestamp {timestamp} is not ISO-8601 with an offset");
        RequireNullable(record, "error", JsonValueKind.String);
        RequireNullable(record, "reason", JsonValueKind.String);
        if (RequireNullable(record, "age_seconds", JsonValueKind.Number) is { } age)
            Assert.True(age.GetDouble() >= 0, record.GetRawText());
        RequireString(record, "task_id");
    }

    // As Python's isoformat() writes a time (microseconds), with its offset: every Python 3's fromisoformat reads it.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoTimestamp();

    /// <summary>A refusal as problem+json (RFC 9457) with its status and a detail the original's clients show.</summary>
    private static JsonElement AssertProblem(HttpResponseMessage response, string body, HttpStatusCode expected)
    {
        Assert.True(response.StatusCode == expected, $"answered {(int)response.StatusCode}, not {(int)expected}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((long)expected, RequireSafeInteger(problem, "status"));
        Assert.False(string.IsNullOrWhiteSpace(RequireString(problem, "detail")), body);
        return problem;
    }

    // ---- Pharos's own routes, for the refs ----

    /// <summary>POST /ingest with a ref; the task id of the 202.</summary>
    private async Task<string> SubmitRefAsync(string repoUrl, string gitRef)
    {
        using var response = await cluster.Frontend.PostAsync("/ingest", new StringContent(
            JsonSerializer.Serialize(new Dictionary<string, string> { ["repo_url"] = repoUrl, ["ref"] = gitRef }),
            System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /ingest {repoUrl} at {gitRef} answered {(int)response.StatusCode}: {body}");
        var accepted = JsonDocument.Parse(body).RootElement;
        Assert.Equal(gitRef, accepted.Str("ref"));
        RequireSafeInteger(accepted, "job_id");
        return accepted.Str("task_id")!;
    }

    private Task<JsonElement> FinalAsync(string taskId) =>
        Cloud.WaitForFinalAsync(taskId, diagnostics: () => cluster.Bed.Diagnostics(), abort: Abort);

    private static void AssertCompletedAt(JsonElement job, string gitRef, string commitSha)
    {
        Assert.True(job.Status() == "completed", job.GetRawText());
        Assert.Equal(gitRef, job.Str("ref"));
        Assert.Equal(commitSha, job.Str("commit_sha"));
        Assert.Equal(commitSha, job.GetProperty("result").Str("commit_sha"));
        Assert.Equal(1.0, job.Num("attempts"));
    }

    /// <summary>Failed for good on the first attempt: no retry of a ref the repository lacks.</summary>
    private static void AssertRefNotFound(JsonElement job, string gitRef)
    {
        Assert.True(job.Status() == "failed", job.GetRawText());
        Assert.Equal("ref_not_found", job.Str("reason"));
        Assert.Equal(gitRef, job.Str("ref"));
        Assert.Contains(gitRef, job.Str("error") ?? "", StringComparison.Ordinal);
        Assert.Equal(1.0, job.Num("attempts"));
        Assert.DoesNotContain("requeued", job.TimelineStatuses());
    }

    /// <summary>GET /repos/graph: the newest result's import graph, which must be at <paramref name="commitSha"/>.</summary>
    private async Task<(IReadOnlyList<string> Nodes, IReadOnlyList<(string, string)> Edges)> GraphAsync(string repoUrl, string commitSha)
    {
        var (response, bytes) = await RepoRoutes.GetAsync(Cloud, $"/repos/graph?{RepoRoutes.Query(repoUrl)}");
        Assert.Equal(commitSha, response.Headers.GetValues("X-Pharos-Commit").Single());
        var graph = JsonDocument.Parse(bytes).RootElement;
        output.WriteLine($"graph of {repoUrl} at {commitSha}: {graph.GetProperty("nodes").GetRawText()} {graph.GetProperty("edges").GetRawText()}");
        return (graph.Array("nodes").Select(n => n.GetString()!).ToList(),
            graph.Array("edges").Select(e => (e[0].GetString()!, e[1].GetString()!)).ToList());
    }

    /// <summary>GET /repos/embeddings at one commit: the files of that commit's result.</summary>
    private async Task<IReadOnlyList<string>> NodesAtAsync(string repoUrl, string commitSha)
    {
        var embeddings = await Cloud.GetJsonAsync($"/repos/embeddings?{RepoRoutes.Query(repoUrl)}&commit={commitSha}");
        Assert.Equal(commitSha, embeddings.Str("commit_sha"));
        return embeddings.Array("nodes").Select(n => n.GetString()!).ToList();
    }

    // ---- Reading JSON as a JavaScript client would ----

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await cluster.Frontend.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string RequireString(JsonElement obj, string name)
    {
        Assert.True(obj.TryGetProperty(name, out var value), $"no \"{name}\" in {obj.GetRawText()}");
        Assert.True(value.ValueKind == JsonValueKind.String, $"\"{name}\" is a JSON {value.ValueKind}, not a string: {obj.GetRawText()}");
        return value.GetString()!;
    }

    /// <summary>A JSON integer (no fraction, no exponent) that JSON.parse keeps exact.</summary>
    private static long RequireSafeInteger(JsonElement obj, string name)
    {
        Assert.True(obj.TryGetProperty(name, out var value), $"no \"{name}\" in {obj.GetRawText()}");
        AssertSafeInteger(name, value);
        return value.GetInt64();
    }

    private static void AssertSafeInteger(string name, JsonElement value)
    {
        Assert.True(value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
                                                            && !value.GetRawText().Contains('.') && !value.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase)
                                                            && Math.Abs(number) <= MaxSafeInteger,
            $"\"{name}\" is not a JSON integer within JavaScript's safe range: {value.GetRawText()}");
    }

    /// <summary>Present, and null or of <paramref name="kind"/> (an integer with <paramref name="integer"/>); the value when not null.</summary>
    private static JsonElement? RequireNullable(JsonElement obj, string name, JsonValueKind kind, bool integer = false)
    {
        Assert.True(obj.TryGetProperty(name, out var value), $"no \"{name}\" in {obj.GetRawText()}");
        if (value.ValueKind == JsonValueKind.Null) return null;
        Assert.True(value.ValueKind == kind, $"\"{name}\" is a JSON {value.ValueKind}, not null or {kind}: {obj.GetRawText()}");
        if (integer) AssertSafeInteger(name, value);
        return value;
    }

    private string? Abort() => Cloud.AbortIfExited() ?? cluster.Edge.AbortIfExited();
}
