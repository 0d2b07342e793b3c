namespace Pharos.Api.Contracts.Http;

// The bodies of the /repos routes: the results the cloud keeps, per repository and ref (the newest commits of each).

/// <summary>The /repos routes, and the links to one repository's result that job records carry.</summary>
public static class RepoRoutes
{
    public const string List = "/repos";
    public const string Embeddings = "/repos/embeddings";
    public const string Graph = "/repos/graph";
    public const string Similar = "/repos/similar";

    /// <summary>
    /// <paramref name="route"/> for <paramref name="repoUrl"/>, at a commit and a ref when given (<paramref name="defaultBranch"/>:
    /// the result of the repository's default branch, <c>&amp;default_branch=true</c>, rather than of any ref).
    /// </summary>
    public static string For(string route, string repoUrl, string? commitSha = null, string? gitRef = null, bool defaultBranch = false) =>
        $"{route}?repo_url={Uri.EscapeDataString(repoUrl)}"
        + (commitSha is null ? "" : $"&commit={Uri.EscapeDataString(commitSha)}")
        + (gitRef is null ? "" : $"&ref={Uri.EscapeDataString(gitRef)}")
        + (defaultBranch && gitRef is null ? "&default_branch=true" : "");
}

/// <summary>
/// A completed job's result, as the cloud holds it: the commit, its size, and where to read it (the similar route
/// takes <c>&amp;path=</c> and <c>&amp;k=</c>). Each link names the job's commit and ref (or the default branch), so it
/// reads that job's own result. The cloud keeps the newest PHAROS_RESULTS_KEEP commits of each repository and ref, so an
/// older job's links can answer 404 once newer results at its ref replaced it. <see cref="Ref"/>: the job's ref, null
/// for the default branch.
/// </summary>
public sealed record JobResultDto(string CommitSha, int Files, int Dims, string Embeddings, string Graph, string Similar, string? Ref = null);

/// <summary>
/// One stored result, without its vectors (each element of `GET /repos`): the newest of its repository at its
/// <see cref="Ref"/> (null: the default branch).
/// </summary>
public sealed record RepoDto(
    string RepoUrl,
    string CommitSha,
    string TaskId,
    int Files,
    int Edges,
    int Dims,
    double FinalLoss,
    DateTimeOffset TrainedAt,
    string? Ref = null);

/// <summary>`GET /repos`: one row per repository and ref, newest first.</summary>
public sealed record RepoListDto(IReadOnlyList<RepoDto> Repos);

/// <summary>
/// `GET /repos/embeddings`: row i of <see cref="Vectors"/> is the vector of <see cref="Nodes"/>[i] (with
/// <c>vectors=context</c>, its context vector); the training's final loss and parameters follow, so that
/// `pharos embeddings` writes the .json that `pharos train` writes. <see cref="ContextVectors"/> says whether the result
/// has context vectors to ask for (results trained before they were kept have none). <see cref="Ref"/> is the branch,
/// tag or commit the task asked for (null: the repository's default branch); <see cref="CommitSha"/> is what it was.
/// </summary>
public sealed record EmbeddingsDto(
    string RepoUrl,
    string CommitSha,
    int Dims,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<float[]> Vectors,
    double FinalLoss,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters,
    bool ContextVectors = false,
    string? Ref = null);

/// <summary>One file like the one asked about, and its score by the answer's <see cref="SimilarDto.Measure"/>.</summary>
public sealed record SimilarFileDto(string Path, double Score);

/// <summary>
/// `GET /repos/similar`: the files most like <see cref="Path"/>, highest score first, itself left out.
/// <see cref="Measure"/> is <c>link</c> (the skip-gram's link score, in·out both ways: unbounded, higher is likelier
/// linked) or, for results trained before context vectors were kept, <c>cosine</c> (-1..1). <see cref="Ref"/>: the
/// ref of the result that answered (null: the default branch).
/// </summary>
public sealed record SimilarDto(
    string RepoUrl,
    string CommitSha,
    string Path,
    IReadOnlyList<SimilarFileDto> Results,
    string Measure,
    string? Ref = null);
