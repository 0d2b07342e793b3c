namespace Pharos.Api.Contracts.Http;

// The bodies of the /repos routes: the results the cloud keeps, one per repository (its newest commit).

/// <summary>One repository's stored result, without its vectors (each element of `GET /repos`).</summary>
public sealed record RepoDto(
    string RepoUrl,
    string CommitSha,
    string TaskId,
    int Files,
    int Edges,
    int Dims,
    double FinalLoss,
    DateTimeOffset TrainedAt);

/// <summary>`GET /repos`: newest first.</summary>
public sealed record RepoListDto(IReadOnlyList<RepoDto> Repos);

/// <summary>
/// `GET /repos/embeddings`: row i of <see cref="Vectors"/> is the vector of <see cref="Nodes"/>[i]; the training's
/// final loss and parameters follow, so that `pharos embeddings` writes the .json that `pharos train` writes.
/// </summary>
public sealed record EmbeddingsDto(
    string RepoUrl,
    string CommitSha,
    int Dims,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<float[]> Vectors,
    double FinalLoss,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement> Parameters);

/// <summary>One file like the one asked about: the cosine of their vectors, -1..1.</summary>
public sealed record SimilarFileDto(string Path, double Score);

/// <summary>`GET /repos/similar`: the files most like <see cref="Path"/>, highest score first, itself left out.</summary>
public sealed record SimilarDto(
    string RepoUrl,
    string CommitSha,
    string Path,
    IReadOnlyList<SimilarFileDto> Results);
