using System.Net.Http.Json;
using System.Text;
using Pharos.Messages.Serialization;
using static Pharos.CloudNode.Tests.Problems;

namespace Pharos.CloudNode.Tests;

/// <summary>Every status code of `POST /ingest` over real Kestrel and a real journal.</summary>
public sealed class IngestApiTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;

    private static string UniqueRepo() => $"https://github.com/pharos-tests/r{Guid.NewGuid():N}";

    [Fact]
    public async Task Accepted_task_answers_202_with_location_and_the_contract_fields()
    {
        var repo = UniqueRepo();
        var response = await Host.IngestAsync(repo.ToUpperInvariant().Replace("HTTPS://GITHUB.COM", "HTTPS://GitHub.com") + ".git/", "high");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("task_id").GetString()!;
        Assert.Equal($"/jobs/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("queued", body.GetProperty("status").GetString());
        // github.com ignores the case of owner and repository: the normal form is lower case throughout.
        Assert.Equal(repo, body.GetProperty("repo_url").GetString());
        Assert.True(body.GetProperty("position").GetInt32() >= 1);
        Assert.True(body.GetProperty("queue_size").GetInt32() >= 1);
        Assert.Equal(1000, body.GetProperty("max_queue_size").GetInt32());
        var submitted = body.GetProperty("submitted_at").GetDateTimeOffset();
        Assert.Equal(submitted.AddDays(1), body.GetProperty("expires_at").GetDateTimeOffset());

        var job = await Host.JsonAsync($"/jobs/{id}");
        Assert.Equal("high", job.GetProperty("priority").GetString());
        Assert.Equal(86_400, job.GetProperty("ttl").GetInt32());
        Assert.Equal("queued", job.GetProperty("timeline")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_original_path_form_is_accepted_with_https_by_default()
    {
        var name = $"r{Guid.NewGuid():N}";
        var response = await Host.Client.SendAsync(Host.Request(HttpMethod.Post, $"/api/v1/ingestion/ingest/github.com/legacy/{name}?priority=low"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"https://github.com/legacy/{name}", body.GetProperty("repo_url").GetString());
        Assert.Equal("low", body.GetProperty("priority").GetString());
        Assert.Equal($"/jobs/{body.GetProperty("task_id").GetString()}", response.Headers.Location?.OriginalString);

        var withScheme = await Host.Client.SendAsync(Host.Request(HttpMethod.Post, $"/api/v1/ingestion/ingest/https://github.com/legacy/{name}x?branch="));
        Assert.Equal(HttpStatusCode.OK, withScheme.StatusCode);
        // An empty branch is the default branch, as the original's worker read it.
        Assert.Equal(JsonValueKind.Null, (await withScheme.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ref").ValueKind);
    }

    [Fact]
    public async Task A_ref_is_taken_with_the_task_and_one_repository_at_two_refs_is_not_a_duplicate()
    {
        var repo = UniqueRepo();
        var atTag = await IngestAsync(new { repo_url = repo, @ref = "v1.2" });
        Assert.Equal(HttpStatusCode.Accepted, atTag.StatusCode);
        var accepted = await atTag.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("v1.2", accepted.GetProperty("ref").GetString());
        var jobId = accepted.GetProperty("job_id").GetInt64();
        Assert.True(jobId >= 1);

        // The default branch and another ref of the same repository are other tasks; the same ref again is not.
        Assert.Equal(HttpStatusCode.Accepted, (await IngestAsync(new { repo_url = repo })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await IngestAsync(new { repo_url = repo, @ref = "refs/heads/dev" })).StatusCode);
        var again = await ProblemAsync(await IngestAsync(new { repo_url = repo, @ref = "v1.2" }), HttpStatusCode.Conflict);
        Assert.Equal(accepted.GetProperty("task_id").GetString(), again.GetProperty("task_id").GetString());
        Assert.Contains("at v1.2", again.GetProperty("detail").GetString());

        // The job keeps its ref, and is found by its job number as by its task id.
        var byNumber = await Host.JsonAsync($"/jobs/{jobId}");
        Assert.Equal(accepted.GetProperty("task_id").GetString(), byNumber.GetProperty("task_id").GetString());
        Assert.Equal(("v1.2", jobId), (byNumber.GetProperty("ref").GetString(), byNumber.GetProperty("job_id").GetInt64()));
    }

    private Task<HttpResponseMessage> IngestAsync(object body)
    {
        var request = Host.Request(HttpMethod.Post, "/ingest");
        request.Content = JsonContent.Create(body);
        return Host.Client.SendAsync(request);
    }

    [Theory]
    [InlineData("", "JSON object")]
    [InlineData("{\"repo_url\": ", "not valid JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("{\"priority\":\"high\"}", "repo_url is required")]
    [InlineData("{\"repo_url\": 42}", "repo_url must be a string")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"repo_url\":\"https://github.com/a/c\"}", "more than once")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"priority\":\"urgent\"}", "priority must be")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b; rm -rf /\"}", "")]
    [InlineData("{\"repo_url\":\"https://example.org/a/b\"}", "")]
    [InlineData("{\"repo_url\":\"https://10.0.0.1/a/b\"}", "")]
    [InlineData("{\"repo_url\":\"file:///etc/passwd\"}", "PHAROS_ALLOW_LOCAL_REPOS")]
    [InlineData("{\"repo_url\":\"https://user:secret@github.com/a/b\"}", "credentials")]
    [InlineData("{\"repo_url\":\"https://github.com/a/../b\"}", "")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ref\":42}", "ref must be a string")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ref\":\"\"}", "ref must not be empty")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ref\":\"--upload-pack\"}", "not a valid branch, tag or commit")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ref\":\"main~1\"}", "only ASCII letters")]
    [InlineData("{\"repo_url\":\"https://github.com/a/b\",\"ref\":\"a\",\"ref\":\"b\"}", "more than once")]
    public async Task Bad_bodies_urls_and_refs_answer_400_saying_why_and_queue_nothing(string body, string why)
    {
        var before = await Host.JobCountAsync();
        var request = Host.Request(HttpMethod.Post, "/ingest");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var problem = await ProblemAsync(await Host.Client.SendAsync(request), HttpStatusCode.BadRequest);

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.Contains(why, detail);
        Assert.Equal(before, await Host.JobCountAsync());
    }

    [Fact]
    public async Task Unauthenticated_answers_401_with_a_bearer_challenge_before_looking_at_the_body()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/ingest") { Content = new StringContent("not json at all") };
        var response = await Host.Client.SendAsync(request);
        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_valid_token_without_the_ingest_scope_answers_403()
    {
        var response = await Host.IngestAsync(UniqueRepo(), token: TokensFile.ReadOnlyToken);
        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("ingest", problem.GetProperty("detail").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await Host.IngestAsync(UniqueRepo(), token: TokensFile.IngestToken)).StatusCode);
    }

    [Fact]
    public async Task The_same_repository_twice_answers_409_naming_the_queued_task()
    {
        var repo = UniqueRepo();
        var first = await (await Host.IngestAsync(repo)).Content.ReadFromJsonAsync<JsonElement>();
        var problem = await ProblemAsync(await Host.IngestAsync(repo + "/"), HttpStatusCode.Conflict);
        Assert.Equal(first.GetProperty("task_id").GetString(), problem.GetProperty("task_id").GetString());
    }

    [Fact]
    public async Task A_body_over_16_KiB_answers_413_to_a_caller_with_a_token()
    {
        var request = Host.Request(HttpMethod.Post, "/ingest");
        request.Content = new StringContent($"{{\"repo_url\":\"{new string('a', 17 * 1024)}\"}}", Encoding.UTF8, "application/json");
        await ProblemAsync(await Host.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);

        // Without a Content-Length the limit holds as the body streams in.
        var chunked = Host.Request(HttpMethod.Post, "/ingest");
        chunked.Content = new StreamContent(new MemoryStream(new byte[20 * 1024]));
        chunked.Headers.TransferEncodingChunked = true;
        await ProblemAsync(await Host.Client.SendAsync(chunked), HttpStatusCode.RequestEntityTooLarge);

        // A caller without a token learns only 401, whatever it sends: the body is never read.
        var anonymous = Host.Request(HttpMethod.Post, "/ingest", token: null);
        anonymous.Content = new StringContent($"{{\"repo_url\":\"{new string('a', 17 * 1024)}\"}}", Encoding.UTF8, "application/json");
        await ProblemAsync(await Host.Client.SendAsync(anonymous), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Cancel_a_queued_task_then_it_is_final()
    {
        var accepted = await (await Host.IngestAsync(UniqueRepo())).Content.ReadFromJsonAsync<JsonElement>();
        var id = accepted.GetProperty("task_id").GetString();

        var unauthenticated = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}", token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        var readOnly = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}", token: TokensFile.ReadOnlyToken));
        Assert.Equal(HttpStatusCode.Forbidden, readOnly.StatusCode);

        var cancelled = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}"));
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var job = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Equal(["queued", "cancelled"], job.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("status").GetString()));

        await ProblemAsync(await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}")), HttpStatusCode.Conflict);
        await ProblemAsync(await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, "/jobs/no-such-job")), HttpStatusCode.NotFound);
    }

    /// <summary>
    /// The original Pharos's history route lists finished jobs only, newest first, in the original's record shape
    /// (<c>JobRecord</c> of its ingestion router) with Pharos's task id added.
    /// </summary>
    [Fact]
    public async Task The_original_pharos_history_lists_finished_jobs_in_its_record_shape()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add((await (await Host.IngestAsync(UniqueRepo())).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!);
        foreach (var id in ids.Take(2))
            Assert.Equal(HttpStatusCode.OK, (await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}"))).StatusCode);

        var jobs = (await Host.JsonAsync("/api/v1/ingestion/jobs/history?limit=100")).GetProperty("jobs").EnumerateArray().ToList();
        Assert.All(jobs, job =>
        {
            Assert.Equal(["repo_url", "status", "duration_seconds", "files_processed", "embeddings_generated", "timestamp", "error",
                "reason", "age_seconds", "task_id"], job.EnumerateObject().Select(p => p.Name));
            Assert.NotEqual("queued", job.GetProperty("status").GetString());
            Assert.True(job.GetProperty("age_seconds").GetDouble() >= 0);
        });
        var listed = jobs.Select(j => j.GetProperty("task_id").GetString()).ToList();
        Assert.DoesNotContain(ids[2], listed);
        Assert.True(listed.IndexOf(ids[1]) >= 0 && listed.IndexOf(ids[1]) < listed.IndexOf(ids[0]));
        var cancelled = jobs[listed.IndexOf(ids[1])];
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal("cancelled_by_user", cancelled.GetProperty("reason").GetString());
        // As Python's isoformat() writes it (microseconds), with the offset.
        Assert.Equal(Pharos.Api.Contracts.Http.LegacyJobRecordDto.IsoTimestamp(
                (await Host.JsonAsync($"/jobs/{ids[1]}")).GetProperty("submitted_at").GetDateTimeOffset()),
            cancelled.GetProperty("timestamp").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", cancelled.GetProperty("timestamp").GetString());

        Assert.Single((await Host.JsonAsync("/api/v1/ingestion/jobs/history?limit=1")).GetProperty("jobs").EnumerateArray());
        await ProblemAsync(await Host.Client.GetAsync("/api/v1/ingestion/jobs/history?limit=0"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Jobs_are_listed_newest_first_and_filtered_by_status()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add((await (await Host.IngestAsync(UniqueRepo())).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!);

        var jobs = (await Host.JsonAsync("/jobs?limit=100&status=queued")).GetProperty("jobs").EnumerateArray().ToList();
        Assert.All(jobs, job => Assert.Equal("queued", job.GetProperty("status").GetString()));
        var submitted = jobs.Select(j => j.GetProperty("submitted_at").GetDateTimeOffset()).ToList();
        Assert.Equal(submitted.OrderByDescending(t => t), submitted);
        var listed = jobs.Select(j => j.GetProperty("task_id").GetString()).ToList();
        Assert.True(listed.IndexOf(ids[2]) < listed.IndexOf(ids[1]) && listed.IndexOf(ids[1]) < listed.IndexOf(ids[0]));

        await ProblemAsync(await Host.Client.GetAsync("/jobs?limit=0"), HttpStatusCode.BadRequest);
        await ProblemAsync(await Host.Client.GetAsync("/jobs?limit=101"), HttpStatusCode.BadRequest);
        await ProblemAsync(await Host.Client.GetAsync("/jobs?status=sleeping"), HttpStatusCode.BadRequest);
        await ProblemAsync(await Host.Client.GetAsync("/jobs/unknown-id"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Worker_status_is_offline_with_no_edge_and_shows_the_queue()
    {
        foreach (var route in new[] { "/worker/status", "/api/v1/ingestion/worker/status" })
        {
            var status = await Host.JsonAsync(route);
            Assert.Equal("Offline", status.GetProperty("status").GetString());
            Assert.Equal(0, status.GetProperty("workers").GetArrayLength());
            Assert.Equal(1000, status.GetProperty("queue").GetProperty("max").GetInt32());
            Assert.Equal(0, status.GetProperty("queue").GetProperty("in_flight").GetInt32());
        }
        await Host.IngestAsync(UniqueRepo());
        var pending = await WaitForAsync(async () =>
            (await Host.JsonAsync("/worker/status")).GetProperty("queue").GetProperty("pending").GetInt32(), n => n >= 1);
        Assert.True(pending >= 1);
    }

    [Fact]
    public async Task Health_readiness_and_the_api_description_answer_without_a_token()
    {
        Assert.Equal("ok", (await Host.JsonAsync("/healthz")).GetProperty("status").GetString());
        var ready = await Host.JsonAsync("/ready");
        Assert.True(ready.GetProperty("cluster_up").GetBoolean());
        Assert.True(ready.GetProperty("journal_reachable").GetBoolean());
        var openApi = await Host.JsonAsync("/openapi/v1.json");
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/ingest", "/jobs", "/jobs/{id}", "/worker/status", "/ready" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the API description");
    }

    [Fact]
    public void Pharos_messages_use_the_pharos_serializer_in_the_running_node()
    {
        var serializer = Host.ActorSystem.Serialization.FindSerializerFor(new Pharos.Messages.Commands.CancelJob("x", "y"));
        Assert.IsType<PharosSerializer>(serializer);
    }

    internal static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(50);
        }
    }
}
