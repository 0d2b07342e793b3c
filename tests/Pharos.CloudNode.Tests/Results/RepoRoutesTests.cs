using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Results;
using Pharos.Testing.Results;

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

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Repos_lists_each_repository_s_newest_result_newest_first()
    {
        var older = await PutAsync(ResultSamples.Bundle(NewRepo(), "aaa", "t-a", minutes: 500_000, files: 4, dims: 3));
        var newer = await PutAsync(ResultSamples.Bundle(NewRepo(), "bbb", "t-b", minutes: 500_001, files: 6, dims: 5));

        var repos = (await Host.JsonAsync("/repos")).GetProperty("repos").EnumerateArray().ToArray();
        // Later than any other test's results, so these two lead the list.
        Assert.Equal([newer.Header.RepoUrl, older.Header.RepoUrl], repos.Take(2).Select(r => r.GetProperty("repo_url").GetString()));
        var first = repos[0];
        Assert.Equal(["repo_url", "commit_sha", "task_id", "files", "edges", "dims", "final_loss", "trained_at"],
            first.EnumerateObject().Select(p => p.Name));
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
        Assert.Equal(["repo_url", "commit_sha", "path", "results", "measure"], body.EnumerateObject().Select(p => p.Name));
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
    }
}
