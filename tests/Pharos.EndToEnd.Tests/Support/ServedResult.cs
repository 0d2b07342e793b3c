using System.Net;
using Pharos.Testing.Results;
using Xunit.Sdk;

namespace Pharos.EndToEnd.Tests.Support;

/// <summary>
/// Everything a cloud node serves of one repository's result, kept as the bytes it answered: the list, the
/// embeddings as JSON and as .npy (by <c>format=npy</c> and by <c>Accept</c>), the graph, and the files like one file.
/// Compared between the nodes of a cluster and across a node's restart.
/// </summary>
public sealed record ServedResult(string Repos, string Embeddings, byte[] Npy, byte[] NpyByAccept, string NpyCommit, string Graph,
    string Similar)
{
    public static async Task<ServedResult> ReadAsync(CloudProcess cloud, string repoUrl, string path)
    {
        var repo = RepoRoutes.Query(repoUrl);
        var npy = await RepoRoutes.GetAsync(cloud, $"/repos/embeddings?{repo}&format=npy");
        var byAccept = await RepoRoutes.GetAsync(cloud, $"/repos/embeddings?{repo}", accept: "application/x-npy");
        return new ServedResult(
            await RepoRoutes.GetTextAsync(cloud, "/repos"),
            await RepoRoutes.GetTextAsync(cloud, $"/repos/embeddings?{repo}"),
            npy.Body,
            byAccept.Body,
            npy.Response.Headers.GetValues("X-Pharos-Commit").Single(),
            await RepoRoutes.GetTextAsync(cloud, $"/repos/graph?{repo}"),
            await RepoRoutes.GetTextAsync(cloud, $"/repos/similar?{repo}&path={Uri.EscapeDataString(path)}&k=10"));
    }

    public JsonElement EmbeddingsJson => JsonDocument.Parse(Embeddings).RootElement;

    /// <summary>The .npy download holds the JSON's numbers: shape (nodes, dims), row i = vectors[i], bit for bit.</summary>
    public void AssertNpyIsTheJson()
    {
        var json = EmbeddingsJson;
        var nodes = json.Array("nodes").Select(n => n.GetString()!).ToList();
        var rows = json.Array("vectors").Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        var dims = json.GetProperty("dims").GetInt32();
        var (shape, values) = NpyFiles.Read(Npy);
        Assert.Equal($"({nodes.Count}, {dims})", shape);
        Assert.Equal(nodes.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal(dims, r.Length));
        Assert.Equal(rows.SelectMany(r => r), values);
        Assert.Equal(json.Str("commit_sha"), NpyCommit);
        Assert.Equal(Npy, NpyByAccept);
    }

    /// <summary>Every route answered the same bytes as <paramref name="expected"/>.</summary>
    public void AssertSameAs(ServedResult expected, string when)
    {
        Same(expected.Repos, Repos, "GET /repos");
        Same(expected.Embeddings, Embeddings, "GET /repos/embeddings");
        if (!expected.Npy.AsSpan().SequenceEqual(Npy)) throw new XunitException($"GET /repos/embeddings&format=npy differs {when}");
        if (!expected.NpyByAccept.AsSpan().SequenceEqual(NpyByAccept)) throw new XunitException($"the .npy by Accept differs {when}");
        Same(expected.NpyCommit, NpyCommit, "X-Pharos-Commit");
        Same(expected.Graph, Graph, "GET /repos/graph");
        Same(expected.Similar, Similar, "GET /repos/similar");

        void Same(string before, string now, string route)
        {
            if (before != now)
                throw new XunitException($"{route} differs {when}:\nbefore: {Shorten(before)}\nnow:    {Shorten(now)}");
        }
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + $"... ({text.Length} characters)";
}

/// <summary>The /repos routes read as a client reads them; anything but 200 fails the test with the answer.</summary>
public static class RepoRoutes
{
    public static string Query(string repoUrl) => "repo_url=" + Uri.EscapeDataString(repoUrl);

    public static async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(CloudProcess cloud, string route,
        string? accept = null, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        var response = await cloud.Client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != expected)
            throw new XunitException($"GET {route} of {cloud.Node.Name} answered {(int)response.StatusCode}, not {(int)expected}: " +
                                     $"{System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 600)))}");
        return (response, body);
    }

    public static async Task<string> GetTextAsync(CloudProcess cloud, string route) =>
        System.Text.Encoding.UTF8.GetString((await GetAsync(cloud, route)).Body);

    /// <summary>
    /// The modules each package's <c>__init__.py</c> imports, by the graph's edges ([importer, imported]): packages
    /// that import most first.
    /// </summary>
    public static IReadOnlyList<(string Init, HashSet<string> Imports)> PackageImports(JsonElement graph) =>
        graph.Array("edges")
            .Select(e => (From: e[0].GetString()!, To: e[1].GetString()!))
            .Where(e => Path.GetFileName(e.From) == "__init__.py")
            .GroupBy(e => e.From, e => e.To)
            .Select(g => (Init: g.Key, Imports: g.ToHashSet()))
            .OrderByDescending(p => p.Imports.Count).ThenBy(p => p.Init, StringComparer.Ordinal)
            .ToList();
}
