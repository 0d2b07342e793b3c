using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pharos.Actors.Results;
using Pharos.CloudNode.Api;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Status;
using Pharos.Testing.Results;
using static Pharos.CloudNode.Tests.Problems;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>
/// The /repos routes on a real node (Kestrel, its SQLite result store): results are put straight into the node's
/// store, as a delivery would, then read back over HTTP. Each test uses repositories of its own.
/// </summary>
public sealed class RepoRoutesTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;
    private IResultStore Store => Host.Services.GetRequiredService<IResultStore>();

    private static string NewRepo() => $"https://github.com/pharos/r{Guid.NewGuid():N}";

    private async Task<ResultBundle> PutAsync(ResultBundle bundle)
    {
        await Store.PutAsync(bundle.ToBytes());
        return bundle;
    }

    private Task<HttpResponseMessage> GetAsync(string path, string? token = null, string? accept = null)
    {
        var request = Host.Request(HttpMethod.Get, path, token);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        return Host.Client.SendAsync(request);
    }

    private static string Query(string repo) => Uri.EscapeDataString(repo);

    [Fact]
    public async Task Repos_lists_each_repository_s_newest_result_newest_first()
    {
        var older = await PutAsync(ResultSamples.Bundle(NewRepo(), "aaa", "t-a", minutes: 500_000, files: 4, dims: 3));
        var newer = await PutAsync(ResultSamples.Bundle(NewRepo(), "bbb", "t-b", minutes: 500_001, files: 6, dims: 5));

        var repos = (await Host.JsonAsync("/repos")).GetProperty("repos").EnumerateArray().ToArray();
        // Later than any other test's results, so these two lead the list.
        Assert.Equal([newer.Header.RepoUrl, older.Header.RepoUrl], repos.Take(2).Select(r => r.GetProperty("repo_url").GetString()));
        var first = repos[0];
        Assert.Equal(["repo_url", "commit_sha", "task_id", "files", "edges", "dims", "final_loss", "trained_at", "ref"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, first.GetProperty("ref").ValueKind);
        Assert.Equal("bbb", first.GetProperty("commit_sha").GetString());
        Assert.Equal("t-b", first.GetProperty("task_id").GetString());
        Assert.Equal(6, first.GetProperty("files").GetInt32());
        Assert.Equal(5, first.GetProperty("edges").GetInt32());
        Assert.Equal(5, first.GetProperty("dims").GetInt32());
        Assert.Equal(0.5, first.GetProperty("final_loss").GetDouble());
        Assert.Equal(newer.Header.TrainedAt, first.GetProperty("trained_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Embeddings_are_the_stored_vectors_row_by_row_and_any_accepted_spelling_of_the_url_finds_them()
    {
        var name = $"r{Guid.NewGuid():N}";
        var bundle = await PutAsync(ResultSamples.Bundle($"https://github.com/pharos/{name}", "c0ffee", files: 4, dims: 3, seed: 7));

        var response = await GetAsync($"/repos/embeddings?repo_url={Query($"https://GitHub.com/pharos/{name}.git/")}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("c0ffee", response.Headers.GetValues("X-Pharos-Commit").Single());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["repo_url", "commit_sha", "dims", "nodes", "vectors", "final_loss", "parameters", "context_vectors", "ref"],
            body.EnumerateObject().Select(p => p.Name));
        // Stored from a task without a ref: the default branch.
        Assert.Equal(JsonValueKind.Null, body.GetProperty("ref").ValueKind);
        Assert.True(body.GetProperty("context_vectors").GetBoolean());
        Assert.Equal(5, body.GetProperty("parameters").GetProperty("epochs").GetInt32());
        Assert.Equal(bundle.Header.RepoUrl, body.GetProperty("repo_url").GetString());
        Assert.Equal(3, body.GetProperty("dims").GetInt32());
        Assert.Equal(bundle.Header.Graph.Nodes, body.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!));
        var rows = body.GetProperty("vectors").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        for (var i = 0; i < bundle.NodeCount; i++) Assert.Equal(bundle.Vector(i).ToArray(), rows[i]);
        var context = await Host.JsonAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}&vectors=context");
        Assert.Equal(bundle.ContextVectors, context.GetProperty("vectors").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())));

        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}&commit=c0ffee")).StatusCode);
        Assert.Contains("vectors must be input or context",
            (await ProblemAsync(await GetAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}&vectors=output"),
                HttpStatusCode.BadRequest)).GetProperty("detail").GetString());
        var detail = (await ProblemAsync(await GetAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}&commit=deadbeef"),
            HttpStatusCode.NotFound)).GetProperty("detail").GetString();
        Assert.Contains("deadbeef", detail);
    }

    [Property(MaxTest = 15)]
    public Property The_npy_download_holds_the_same_numbers_as_the_json_in_the_order_of_nodes() =>
        Prop.ForAll(Gen.Choose(0, 25).ToArbitrary(), Gen.Choose(1, 12).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(),
            (files, dims, seed) =>
            {
                var byAccept = seed % 2 == 0;
                var bundle = PutAsync(ResultSamples.Bundle(NewRepo(), $"c{seed}", files: files, dims: dims, seed: seed)).GetAwaiter().GetResult();
                var query = $"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}";
                // Half the time the context vectors, the same way.
                if (seed % 3 == 0) query += "&vectors=context";
                var json = GetAsync(query).GetAwaiter().GetResult().Content.ReadFromJsonAsync<JsonElement>().GetAwaiter().GetResult();
                var response = (byAccept ? GetAsync(query, accept: Npy.ContentType) : GetAsync(query + "&format=npy")).GetAwaiter().GetResult();
                var npy = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();

                var (shape, values) = NpyFiles.Read(npy);
                var nodes = json.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()).ToArray();
                var rows = json.GetProperty("vectors").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
                return response.Content.Headers.ContentType?.MediaType == Npy.ContentType
                       && response.Headers.GetValues("X-Pharos-Commit").Single() == bundle.Header.CommitSha
                       && shape == $"({nodes.Length}, {dims})"
                       && nodes.SequenceEqual(bundle.Header.Graph.Nodes)
                       && rows.Length == nodes.Length
                       && values.SequenceEqual(rows.SelectMany(r => r))
                       && values.SequenceEqual(query.EndsWith("context", StringComparison.Ordinal) ? bundle.ContextVectors! : bundle.Vectors);
            });

    [Fact]
    public async Task Graph_is_the_document_pharos_graph_json_prints_with_paths_as_keys_unchanged()
    {
        var sample = ResultSamples.Bundle(NewRepo(), "g1", files: 3, dims: 2);
        var graph = sample.Header.Graph with
        {
            Unresolved = new UnresolvedImports(2, new Dictionary<string, int> { ["pkg/MyModule.py"] = 2 }),
            Languages = new Dictionary<string, int> { ["python"] = 2, ["TypeScript"] = 1 },
        };
        var bundle = await PutAsync(sample with { Header = sample.Header with { Graph = graph } });

        var response = await GetAsync($"/repos/graph?repo_url={Query(bundle.Header.RepoUrl)}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("g1", response.Headers.GetValues("X-Pharos-Commit").Single());
        var served = await response.Content.ReadFromJsonAsync<JsonElement>();
        // As the CLI's --json writes a GraphDocument: snake_case names, dictionary keys as they are.
        var printed = JsonSerializer.SerializeToElement(graph, new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
        });
        Assert.True(JsonElement.DeepEquals(printed, served), served.ToString());
        Assert.Equal(2, served.GetProperty("unresolved").GetProperty("by_file").GetProperty("pkg/MyModule.py").GetInt32());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Similar_lists_the_k_highest_files_by_link_score_or_for_an_older_result_by_cosine_without_the_file_itself(bool context)
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "s1", files: 30, dims: 6, seed: 3, context: context));
        const string path = "pkg/m004.py";

        var body = await Host.JsonAsync($"/repos/similar?repo_url={Query(bundle.Header.RepoUrl)}&path={Query(path)}");
        Assert.Equal(["repo_url", "commit_sha", "path", "results", "measure", "ref"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(context ? "link" : "cosine", body.GetProperty("measure").GetString());
        Assert.Equal("s1", body.GetProperty("commit_sha").GetString());
        Assert.Equal(path, body.GetProperty("path").GetString());
        var results = body.GetProperty("results").EnumerateArray()
            .Select(r => (Path: r.GetProperty("path").GetString()!, Score: r.GetProperty("score").GetDouble())).ToArray();

        // A plain scan in the test: every other file's in·out both ways (or cosine), highest first.
        var expected = Enumerable.Range(0, bundle.NodeCount).Where(i => i != 4)
            .Select(i => (Path: bundle.Header.Graph.Nodes[i], Score: context ? Link(bundle, 4, i) : Cosine(bundle.Vector(4).ToArray(), bundle.Vector(i).ToArray())))
            .OrderByDescending(e => e.Score).Take(10).ToArray();
        Assert.Equal(10, results.Length);
        Assert.DoesNotContain(results, r => r.Path == path);
        Assert.Equal(expected.Select(e => e.Path), results.Select(r => r.Path));
        for (var i = 0; i < results.Length; i++) Assert.Equal(expected[i].Score, results[i].Score, 4);
        Assert.True(results.Zip(results.Skip(1)).All(pair => pair.Item1.Score >= pair.Item2.Score));

        var three = await Host.JsonAsync($"/repos/similar?repo_url={Query(bundle.Header.RepoUrl)}&path={Query(path)}&k=3");
        Assert.Equal(expected.Take(3).Select(e => e.Path), three.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("path").GetString()!));
        var all = await Host.JsonAsync($"/repos/similar?repo_url={Query(bundle.Header.RepoUrl)}&path={Query(path)}&k=100");
        Assert.Equal(29, all.GetProperty("results").GetArrayLength());
    }

    [Fact]
    public async Task Context_vectors_of_an_older_result_are_404_saying_to_ingest_it_again()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "old1", context: false));
        var plain = await Host.JsonAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}");
        Assert.False(plain.GetProperty("context_vectors").GetBoolean());
        var detail = (await ProblemAsync(await GetAsync($"/repos/embeddings?repo_url={Query(bundle.Header.RepoUrl)}&vectors=context"),
            HttpStatusCode.NotFound)).GetProperty("detail").GetString();
        Assert.Contains("ingest it again", detail);
    }

    private static double Link(ResultBundle bundle, int a, int b)
    {
        var dims = bundle.Header.Dims;
        double sum = 0;
        for (var d = 0; d < dims; d++)
            sum += bundle.Vectors[a * dims + d] * (double)bundle.ContextVectors![b * dims + d]
                   + bundle.Vectors[b * dims + d] * (double)bundle.ContextVectors![a * dims + d];
        return sum;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    [Fact]
    public async Task Unknown_repositories_and_paths_are_404s_that_say_which()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "n1"));
        var unknown = NewRepo();
        foreach (var route in new[] { "embeddings", "graph" })
        {
            var problem = await ProblemAsync(await GetAsync($"/repos/{route}?repo_url={Query(unknown)}"), HttpStatusCode.NotFound);
            Assert.Contains(unknown[..40], problem.GetProperty("detail").GetString());
        }
        var noRepo = await ProblemAsync(await GetAsync($"/repos/similar?repo_url={Query(unknown)}&path=pkg/m000.py"), HttpStatusCode.NotFound);
        Assert.Contains(unknown[..40], noRepo.GetProperty("detail").GetString());
        var noPath = await ProblemAsync(await GetAsync($"/repos/similar?repo_url={Query(bundle.Header.RepoUrl)}&path=pkg/nope.py"), HttpStatusCode.NotFound);
        Assert.Contains("pkg/nope.py", noPath.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/repos/similar?repo_url=https://github.com/o/r&path=a.py&k=0", "k must")]
    [InlineData("/repos/similar?repo_url=https://github.com/o/r&path=a.py&k=101", "k must")]
    [InlineData("/repos/similar?repo_url=https://github.com/o/r&path=a.py&k=ten", "k must")]
    [InlineData("/repos/similar?repo_url=https://github.com/o/r&path=a.py&k=-3", "k must")]
    [InlineData("/repos/similar?repo_url=https://github.com/o/r", "path is required")]
    [InlineData("/repos/similar?path=a.py", "repo_url is required")]
    [InlineData("/repos/embeddings", "repo_url is required")]
    [InlineData("/repos/graph", "repo_url is required")]
    [InlineData("/repos/graph?repo_url=ftp://github.com/o/r", "scheme")]
    [InlineData("/repos/embeddings?repo_url=https://github.com/o/r&format=csv", "format must be json or npy")]
    public async Task Missing_or_malformed_parameters_are_400s_that_say_what_is_wrong(string route, string says)
    {
        if (route.Contains("format=csv")) await PutAsync(ResultSamples.Bundle("https://github.com/o/r", "f1"));
        var problem = await ProblemAsync(await GetAsync(route), HttpStatusCode.BadRequest);
        Assert.Contains(says, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Delete_needs_the_admin_scope_removes_the_repository_and_is_404_when_there_is_none()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "d1"));
        var route = $"/repos?repo_url={Query(bundle.Header.RepoUrl)}";

        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, route, token: null))).StatusCode);
        foreach (var token in new[] { TokensFile.ReadOnlyToken, TokensFile.IngestToken })
        {
            var refused = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, route, token));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("admin", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/repos/graph?repo_url={Query(bundle.Header.RepoUrl)}")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, route))).StatusCode);
        await ProblemAsync(await GetAsync($"/repos/graph?repo_url={Query(bundle.Header.RepoUrl)}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain((await Host.JsonAsync("/repos")).GetProperty("repos").EnumerateArray(),
            r => r.GetProperty("repo_url").GetString() == bundle.Header.RepoUrl);
        await ProblemAsync(await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, route)), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_routes_are_in_the_openapi_description()
    {
        var paths = (await Host.JsonAsync("/openapi/v1.json")).GetProperty("paths");
        foreach (var route in new[] { "/repos", "/repos/embeddings", "/repos/graph", "/repos/similar" })
            Assert.True(paths.TryGetProperty(route, out _), route);
        Assert.True(paths.GetProperty("/repos").TryGetProperty("delete", out _));
        foreach (var route in new[] { "/repos/embeddings", "/repos/graph", "/repos/similar" })
        {
            var parameters = paths.GetProperty(route).GetProperty("get").GetProperty("parameters").EnumerateArray()
                .Select(p => p.GetProperty("name").GetString()).ToArray();
            Assert.Superset(new HashSet<string?> { "repo_url", "commit", "ref", "default_branch" }, parameters.ToHashSet());
        }
    }

    [Fact]
    public async Task Ref_and_commit_pick_the_result_on_every_route_and_without_either_the_newest_whatever_its_ref()
    {
        var repo = NewRepo();
        await PutAsync(ResultSamples.Bundle(repo, "tip", "t-main", minutes: 600_000, files: 4, seed: 1));
        // A tag on the default branch's tip, embedded later: the same commit, a result of its own.
        await PutAsync(ResultSamples.Bundle(repo, "tip", "t-tag", minutes: 600_001, files: 4, seed: 2, gitRef: "v1.0"));
        await PutAsync(ResultSamples.Bundle(repo, "feat", "t-feat", minutes: 599_999, files: 6, seed: 3, gitRef: "feature/x"));
        var q = $"repo_url={Query(repo)}";

        async Task<(string? Commit, string? Ref)> EmbeddingsAt(string selection)
        {
            var body = await Host.JsonAsync($"/repos/embeddings?{q}{selection}");
            return (body.GetProperty("commit_sha").GetString(), body.GetProperty("ref").GetString());
        }
        Assert.Equal(("tip", "v1.0"), await EmbeddingsAt(""));
        Assert.Equal(("tip", "v1.0"), await EmbeddingsAt("&ref=v1.0"));
        Assert.Equal(("tip", null), await EmbeddingsAt("&default_branch=true"));
        Assert.Equal(("tip", null), await EmbeddingsAt("&commit=tip&default_branch=true"));
        Assert.Equal(("feat", "feature/x"), await EmbeddingsAt("&ref=feature%2Fx"));
        Assert.Equal(("feat", "feature/x"), await EmbeddingsAt("&commit=feat"));

        var graph = await GetAsync($"/repos/graph?{q}&ref=feature/x&commit=feat");
        Assert.Equal(HttpStatusCode.OK, graph.StatusCode);
        Assert.Equal(("feat", "feature/x"), (graph.Headers.GetValues("X-Pharos-Commit").Single(), graph.Headers.GetValues("X-Pharos-Ref").Single()));
        Assert.Equal(6, (await graph.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("nodes").GetArrayLength());
        var defaultGraph = await GetAsync($"/repos/graph?{q}&default_branch=true");
        Assert.Equal("tip", defaultGraph.Headers.GetValues("X-Pharos-Commit").Single());
        Assert.False(defaultGraph.Headers.Contains("X-Pharos-Ref"));

        var similar = await Host.JsonAsync($"/repos/similar?{q}&path=pkg/m005.py&ref=feature/x");
        Assert.Equal(("feat", "feature/x"), (similar.GetProperty("commit_sha").GetString(), similar.GetProperty("ref").GetString()));
        var similarAtCommit = await Host.JsonAsync($"/repos/similar?{q}&path=pkg/m001.py&commit=tip&default_branch=true");
        Assert.Equal(JsonValueKind.Null, similarAtCommit.GetProperty("ref").ValueKind);
        // pkg/m005.py is a file of feature/x only.
        var notAFile = await ProblemAsync(await GetAsync($"/repos/similar?{q}&path=pkg/m005.py&ref=v1.0"), HttpStatusCode.NotFound);
        Assert.Contains("at ref v1.0 (commit tip)", notAFile.GetProperty("detail").GetString());

        // 404s say what was not there: the ref, the commit at that ref, or the repository itself.
        foreach (var route in new[] { "embeddings", "graph", "similar" })
        {
            var path = route == "similar" ? "&path=pkg/m000.py" : "";
            var noRef = await ProblemAsync(await GetAsync($"/repos/{route}?{q}{path}&ref=v2.0"), HttpStatusCode.NotFound);
            Assert.EndsWith("at ref v2.0 (GET /repos lists the results kept).", noRef.GetProperty("detail").GetString());
            var noCommitAtRef = await ProblemAsync(await GetAsync($"/repos/{route}?{q}{path}&ref=v1.0&commit=feat"), HttpStatusCode.NotFound);
            Assert.Contains("at ref v1.0 and commit feat", noCommitAtRef.GetProperty("detail").GetString());
            var noCommit = await ProblemAsync(await GetAsync($"/repos/{route}?{q}{path}&commit=feat&default_branch=true"), HttpStatusCode.NotFound);
            Assert.Contains("at the default branch and commit feat", noCommit.GetProperty("detail").GetString());
            var unknown = NewRepo();
            var noRepo = await ProblemAsync(await GetAsync($"/repos/{route}?repo_url={Query(unknown)}{path}&ref=v1.0"), HttpStatusCode.NotFound);
            Assert.Equal($"No results for {unknown}.", noRepo.GetProperty("detail").GetString());
        }

        // GET /repos: one row per ref, each with its ref.
        var rows = (await Host.JsonAsync("/repos")).GetProperty("repos").EnumerateArray()
            .Where(r => r.GetProperty("repo_url").GetString() == repo)
            .Select(r => (r.GetProperty("task_id").GetString(), r.GetProperty("ref").GetString())).ToArray();
        Assert.Equal([("t-tag", "v1.0"), ("t-main", null), ("t-feat", "feature/x")], rows);
    }

    [Theory]
    [InlineData("&ref=", "ref must not be empty")]
    [InlineData("&ref=-x", "not a valid branch")]
    [InlineData("&ref=a..b", "not a valid branch")]
    [InlineData("&ref=v1%3Bls", "ASCII letters")]
    [InlineData("&ref=v1&default_branch=true", "give one")]
    [InlineData("&default_branch=yes", "default_branch must be true or false")]
    public async Task A_ref_ingest_would_refuse_is_a_400_on_every_route(string selection, string says)
    {
        foreach (var route in new[] { "embeddings", "graph", "similar" })
        {
            var path = route == "similar" ? "&path=a.py" : "";
            var problem = await ProblemAsync(await GetAsync($"/repos/{route}?repo_url=https://github.com/o/r{path}{selection}"), HttpStatusCode.BadRequest);
            Assert.Contains(says, problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_job_s_result_links_read_that_job_s_own_result_when_the_same_commit_is_stored_under_another_ref()
    {
        var repo = NewRepo();
        await PutAsync(ResultSamples.Bundle(repo, "tip", "t-main", minutes: 10, files: 4, seed: 1));
        await PutAsync(ResultSamples.Bundle(repo, "tip", "t-tag", minutes: 11, files: 4, seed: 2, gitRef: "v1.0"));
        var at = ResultSamples.Noon;
        JobRecord Job(string taskId, string? gitRef) => new(taskId, repo, Priority.Normal, JobStatus.Completed, at, at.AddDays(1), 86_400,
            "admin", [], CommitSha: "tip", FilesProcessed: 4, Dims: 8, Ref: gitRef);

        foreach (var (job, gitRef) in new[] { (Job("t-main", null), (string?)null), (Job("t-tag", "v1.0"), "v1.0") })
        {
            var result = job.ToDto().Result!;
            Assert.Equal(gitRef, result.Ref);
            var embeddings = await Host.JsonAsync(result.Embeddings);
            Assert.Equal(("tip", gitRef), (embeddings.GetProperty("commit_sha").GetString(), embeddings.GetProperty("ref").GetString()));
            var graph = await GetAsync(result.Graph);
            Assert.Equal(HttpStatusCode.OK, graph.StatusCode);
            Assert.Equal(gitRef, graph.Headers.TryGetValues("X-Pharos-Ref", out var refs) ? refs.Single() : null);
            var similar = await Host.JsonAsync(result.Similar + "&path=pkg/m000.py&k=2");
            Assert.Equal(gitRef, similar.GetProperty("ref").GetString());
        }
    }
}
