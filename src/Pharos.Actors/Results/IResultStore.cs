using Pharos.CodeGraph.Results;

namespace Pharos.Actors.Results;

/// <summary>What the cloud keeps of one stored result, without its vectors: enough to list it and point at it.</summary>
public sealed record StoredResult(
    string RepoUrl,
    string CommitSha,
    string TaskId,
    DateTimeOffset TrainedAt,
    int Files,
    int Edges,
    int Dims,
    double FinalLoss)
{
    public static StoredResult Of(ResultHeader header) => new(header.RepoUrl, header.CommitSha, header.TaskId,
        header.TrainedAt, header.Graph.Nodes.Count, header.Graph.Edges.Count, header.Dims, header.FinalLoss);
}

/// <summary>
/// The cloud's durable store of repository results (<see cref="ResultBundle"/> bytes as the edge sent them), keyed by
/// the repository's normalised URL and the commit. Embedded in SQLite by default, in Redis with PHAROS_REDIS.
/// </summary>
public interface IResultStore
{
    /// <summary>
    /// Stores a bundle durably (on disk, or acknowledged by Redis) before it returns. Storing the same repository and
    /// commit again replaces it, so a delivery repeated after a lost acknowledgement is harmless. Keeps the newest
    /// PHAROS_RESULTS_KEEP commits of the repository (by trained_at) and deletes the older ones.
    /// </summary>
    Task<StoredResult> PutAsync(CheckedBundle bundle, CancellationToken ct = default);

    /// <summary>Every repository's newest result, newest first.</summary>
    Task<IReadOnlyList<StoredResult>> ListAsync(CancellationToken ct = default);

    /// <summary>The repository's result at <paramref name="commitSha"/>, or its newest one; null when there is none.</summary>
    Task<ResultBundle?> GetAsync(string repoUrl, string? commitSha = null, CancellationToken ct = default);

    /// <summary>Removes every result of the repository; false when it had none.</summary>
    Task<bool> DeleteAsync(string repoUrl, CancellationToken ct = default);
}

public static class ResultStores
{
    /// <summary>Checks <paramref name="bundle"/> and stores it (<see cref="IResultStore.PutAsync(CheckedBundle, CancellationToken)"/>).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid bundle.</exception>
    public static Task<StoredResult> PutAsync(this IResultStore store, ReadOnlyMemory<byte> bundle, CancellationToken ct = default) =>
        store.PutAsync(CheckedBundle.Of(bundle), ct);
}
