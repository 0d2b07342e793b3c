using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Primitives;
using Pharos.Actors.Results;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
using Pharos.CodeGraph.Results;
using StackExchange.Redis;

namespace Pharos.CloudNode.Api;

/// <summary>
/// The results the cloud keeps (<see cref="IResultStore"/>): the list, a repository's embeddings (JSON or .npy), its
/// import graph, the files most like one file, and removal. A repository is named by its URL in the query, normalised
/// as the ingest gateway normalises a submitted one, so any spelling that was accepted finds it.
/// </summary>
public static class RepoEndpoints
{
    private const int DefaultK = 10;

    /// <summary>
    /// The graph document exactly as `pharos graph --json` writes it: the API's snake_case names, but dictionary keys
    /// (file paths, languages) as they are.
    /// </summary>
    private static readonly JsonSerializerOptions GraphJson = CreateGraphJson();

    public static void MapRepos(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        app.MapGet(RepoRoutes.List, (HttpContext context, IResultStore store) =>
                Answer(context, async ct => Results.Ok(new RepoListDto([.. (await store.ListAsync(ct)).Select(ToDto)]))))
            .WithSummary("Repositories with a stored result, newest first")
            .Produces<RepoListDto>()
            .RequireReadScopeIf(requireReadToken);

        app.MapGet(RepoRoutes.Embeddings, (HttpContext context, string? repo_url, string? commit, [FromQuery(Name = "ref")] string? gitRef,
                    string? default_branch, string? format, string? vectors, RepoUrlValidator urls, IResultStore store) =>
                WithBundle(context, repo_url, commit, gitRef, default_branch, urls, store, bundle =>
                {
                    var contextVectors = vectors switch
                    {
                        null or "input" => false,
                        "context" => true,
                        _ => (bool?)null,
                    };
                    if (contextVectors is null) return ApiProblems.BadRequest("vectors must be input or context.");
                    var matrix = contextVectors.Value ? bundle.ContextVectors : bundle.Vectors;
                    if (matrix is null)
                        return ApiProblems.NotFound($"The result of {bundle.Header.RepoUrl} at {At(bundle.Header)} was trained before context vectors were kept; ingest it again to have them.");
                    var npy = format switch
                    {
                        null => context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(Npy.ContentType, StringComparison.OrdinalIgnoreCase)),
                        "npy" => true,
                        "json" => false,
                        _ => (bool?)null,
                    };
                    if (npy is null) return ApiProblems.BadRequest("format must be json or npy.");
                    Identify(context, bundle);
                    return npy.Value ? NpyFile(bundle, matrix) : Results.Ok(ToEmbeddings(bundle, matrix));
                }))
            .WithSummary("A repository's embeddings (vectors=context: its context vectors): JSON, or a NumPy .npy file with format=npy or Accept: application/x-npy; the newest result, or the one at commit= and ref= (default_branch=true: the default branch's)")
            .Produces<EmbeddingsDto>()
            .Produces(StatusCodes.Status200OK, contentType: Npy.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireReadScopeIf(requireReadToken);

        app.MapGet(RepoRoutes.Graph, (HttpContext context, string? repo_url, string? commit, [FromQuery(Name = "ref")] string? gitRef,
                    string? default_branch, RepoUrlValidator urls, IResultStore store) =>
                WithBundle(context, repo_url, commit, gitRef, default_branch, urls, store, bundle =>
                {
                    Identify(context, bundle);
                    return Results.Json(bundle.Header.Graph, GraphJson);
                }))
            .WithSummary("A repository's import graph, as `pharos graph --json` prints it: of the newest result, or the one at commit= and ref= (default_branch=true: the default branch's)")
            .Produces<GraphDocument>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireReadScopeIf(requireReadToken);

        app.MapGet(RepoRoutes.Similar, (HttpContext context, string? repo_url, string? path, string? k, string? commit,
                    [FromQuery(Name = "ref")] string? gitRef, string? default_branch, RepoUrlValidator urls, IResultStore store) =>
                {
                    if (string.IsNullOrEmpty(path)) return Task.FromResult(ApiProblems.BadRequest("path is required."));
                    var count = DefaultK;
                    if (k is not null && (!int.TryParse(k, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count is < 1 or > SimilarFiles.MaxK))
                        return Task.FromResult(ApiProblems.BadRequest($"k must be a whole number from 1 to {SimilarFiles.MaxK}."));
                    return WithBundle(context, repo_url, commit, gitRef, default_branch, urls, store, bundle =>
                    {
                        var node = IndexOf(bundle.Header.Graph.Nodes, path);
                        if (node < 0)
                            return ApiProblems.NotFound($"{ApiProblems.Shorten(path)} is not a file of {bundle.Header.RepoUrl} at {At(bundle.Header)}.");
                        var similar = SimilarFiles.Top(bundle.Vectors, bundle.ContextVectors, bundle.Header.Dims, node, count);
                        return Results.Ok(new SimilarDto(bundle.Header.RepoUrl, bundle.Header.CommitSha, path,
                            [.. similar.Select(s => new SimilarFileDto(bundle.Header.Graph.Nodes[s.Node], Math.Round(s.Score, 6)))],
                            SimilarFiles.MeasureOf(bundle.ContextVectors), NamedRef(bundle.Header)));
                    });
                })
            .WithSummary("The k files (default 10, 1..100) most likely linked to a file by its embeddings (link score; cosine for older results), highest first; in the newest result, or the one at commit= and ref= (default_branch=true: the default branch's)")
            .Produces<SimilarDto>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireReadScopeIf(requireReadToken);

        app.MapDelete(RepoRoutes.List, (HttpContext context, string? repo_url, RepoUrlValidator urls, IResultStore store) =>
                Refusal(repo_url, urls, out var repo) is { } refused
                    ? Task.FromResult(refused)
                    : Answer(context, async ct => await store.DeleteAsync(repo, ct)
                        ? Results.NoContent()
                        : ApiProblems.NotFound($"No results for {ApiProblems.Shorten(repo)}.")))
            .WithSummary("Remove every stored result of a repository")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireScope(ApiScope.Admin);
    }

    public static RepoDto ToDto(this StoredResult result) => new(result.RepoUrl, result.CommitSha, result.TaskId, result.Files,
        result.Edges, result.Dims, result.FinalLoss, result.TrainedAt, result.Ref);

    /// <summary>The bundle's <paramref name="matrix"/> (its vectors or its context vectors) as rows.</summary>
    public static EmbeddingsDto ToEmbeddings(ResultBundle bundle, float[] matrix)
    {
        var dims = bundle.Header.Dims;
        var rows = new float[bundle.NodeCount][];
        for (var i = 0; i < rows.Length; i++) rows[i] = matrix.AsSpan(i * dims, dims).ToArray();
        return new EmbeddingsDto(bundle.Header.RepoUrl, bundle.Header.CommitSha, dims, bundle.Header.Graph.Nodes, rows,
            bundle.Header.FinalLoss, bundle.Header.Parameters, bundle.ContextVectors is not null, NamedRef(bundle.Header));
    }

    private static IResult NpyFile(ResultBundle bundle, float[] matrix)
    {
        var buffer = new MemoryStream(Npy.Header(bundle.NodeCount, bundle.Header.Dims).Length + matrix.Length * sizeof(float));
        Npy.Write(buffer, matrix, bundle.NodeCount, bundle.Header.Dims);
        return Results.Bytes(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), Npy.ContentType);
    }

    /// <summary>
    /// The stored bundle of the repository, handed to <paramref name="answer"/>: the newest, or the newest at the query's
    /// <c>commit</c> and <c>ref</c> (or <c>default_branch=true</c>); 400 or 404 (saying what was not found) otherwise.
    /// </summary>
    private static Task<IResult> WithBundle(HttpContext context, string? repoUrl, string? commitQuery, string? refQuery,
        string? defaultBranchQuery, RepoUrlValidator urls, IResultStore store, Func<ResultBundle, IResult> answer)
    {
        if (Refusal(repoUrl, urls, out var repo) is { } refused) return Task.FromResult(refused);
        if (Selection(commitQuery, refQuery, defaultBranchQuery, out var commit, out var gitRef) is { } wrong) return Task.FromResult(wrong);
        return Answer(context, async ct =>
        {
            if (await store.GetAsync(repo, commit, gitRef, ct) is { } bundle) return answer(bundle);
            if (commit is null && gitRef is null || await store.FindAsync(repo, ct: ct) is null)
                return ApiProblems.NotFound($"No results for {ApiProblems.Shorten(repo)}.");
            var at = string.Join(" and ", new[]
            {
                gitRef switch { null => null, ResultRefs.DefaultBranch => "the default branch", _ => $"ref {gitRef}" },
                commit is null ? null : $"commit {ApiProblems.Shorten(commit)}",
            }.OfType<string>());
            return ApiProblems.NotFound($"No result for {ApiProblems.Shorten(repo)} at {at} (GET /repos lists the results kept).");
        });
    }

    /// <summary>
    /// The query's <c>commit</c> and <c>ref</c> (null: any; <c>default_branch=true</c> is <see cref="ResultRefs.DefaultBranch"/>),
    /// or a 400 saying what is wrong: a ref as ingest refuses one (<see cref="GitRefSyntax"/>), or both a ref and default_branch.
    /// </summary>
    private static IResult? Selection(string? commitQuery, string? refQuery, string? defaultBranchQuery, out string? commit, out string? gitRef)
    {
        commit = string.IsNullOrEmpty(commitQuery) ? null : commitQuery;
        gitRef = null;
        var defaultBranch = defaultBranchQuery switch
        {
            null or "" or "false" => false,
            "true" => true,
            _ => (bool?)null,
        };
        if (defaultBranch is null) return ApiProblems.BadRequest("default_branch must be true or false.");
        if (refQuery is { } named)
        {
            if (GitRefSyntax.Problem(named) is { } problem) return ApiProblems.BadRequest(problem);
            if (defaultBranch.Value) return ApiProblems.BadRequest("ref and default_branch=true name two refs; give one.");
            gitRef = named;
        }
        else if (defaultBranch.Value) gitRef = ResultRefs.DefaultBranch;
        return null;
    }

    /// <summary>Which result answered, in headers (the .npy and the graph document do not say it themselves).</summary>
    private static void Identify(HttpContext context, ResultBundle bundle)
    {
        context.Response.Headers["X-Pharos-Commit"] = bundle.Header.CommitSha;
        if (NamedRef(bundle.Header) is { } gitRef) context.Response.Headers["X-Pharos-Ref"] = gitRef;
    }

    /// <summary>The ref the result's task named; null for the default branch.</summary>
    private static string? NamedRef(ResultHeader header) => string.IsNullOrEmpty(header.Ref) ? null : header.Ref;

    private static string At(ResultHeader header) =>
        NamedRef(header) is { } gitRef ? $"ref {gitRef} (commit {header.CommitSha})" : $"commit {header.CommitSha}";

    /// <summary>A store that does not answer (Redis down, the file locked too long) is a 503 the client may retry.</summary>
    private static async Task<IResult> Answer(HttpContext context, Func<CancellationToken, Task<IResult>> read)
    {
        try
        {
            return await read(context.RequestAborted);
        }
        catch (Exception e) when (e is RedisException or SqliteException or TimeoutException)
        {
            return ApiProblems.Unavailable(context, "The result store did not answer; try again.");
        }
    }

    /// <summary>A 400 naming what is wrong with the URL (no DNS: only its syntax), or null and its normal form.</summary>
    private static IResult? Refusal(string? repoUrl, RepoUrlValidator urls, out string repo)
    {
        var check = urls.CheckSyntax(repoUrl);
        repo = check.NormalizedUrl ?? "";
        return check.Ok ? null : ApiProblems.BadRequest(check.Error + ".");
    }

    private static int IndexOf(IReadOnlyList<string> nodes, string path)
    {
        for (var i = 0; i < nodes.Count; i++)
            if (string.Equals(nodes[i], path, StringComparison.Ordinal)) return i;
        return -1;
    }

    private static JsonSerializerOptions CreateGraphJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        PharosJson.Configure(options);
        options.DictionaryKeyPolicy = null;
        return options;
    }
}
