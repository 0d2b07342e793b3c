using Pharos.CodeGraph.Results;

namespace Pharos.Actors.Results;

/// <summary>
/// What the cloud keeps of one stored result, without its vectors: enough to list it and point at it. <see cref="Ref"/>
/// is the branch, tag or commit the task named (the bundle header's <c>ref</c>); null for the repository's default branch.
/// </summary>
public sealed record StoredResult(
    string RepoUrl,
    string CommitSha,
    string TaskId,
    DateTimeOffset TrainedAt,
    int Files,
    int Edges,
    int Dims,
    double FinalLoss,
    string? Ref = null)
{
    public static StoredResult Of(ResultHeader header) => new(header.RepoUrl, header.CommitSha, header.TaskId,
        header.TrainedAt, header.Graph.Nodes.Count, header.Graph.Edges.Count, header.Dims, header.FinalLoss,
        string.IsNullOrEmpty(header.Ref) ? null : header.Ref);
}

/// <summary>How a read names the ref of the result it wants.</summary>
public static class ResultRefs
{
    /// <summary>
    /// The repository's default branch (the results of tasks that named no ref). Never a ref a task may name
    /// (<c>GitRefSyntax</c> refuses an empty one), so it cannot be confused with one; null asks for any ref.
    /// </summary>
    public const string DefaultBranch = "";
}

/// <summary>
/// The cloud's durable store of repository results (<see cref="ResultBundle"/> bytes as the edge sent them), keyed by
/// the repository's normalised URL, the ref the task named (none: the default branch) and the commit. Embedded in SQLite
/// by default, in Redis with PHAROS_REDIS.
/// </summary>
public interface IResultStore
{
    /// <summary>
    /// Stores a bundle durably (on disk, or acknowledged by Redis) before it returns. Storing the same repository, ref
    /// and commit again replaces it, so a delivery repeated after a lost acknowledgement is harmless; the same commit
    /// under another ref is another result (each ref keeps its own). Keeps the newest PHAROS_RESULTS_KEEP commits of
    /// each (repository, ref) pair (by trained_at; the default branch is a ref of its own) and deletes the older ones.
    /// </summary>
    Task<StoredResult> PutAsync(CheckedBundle bundle, CancellationToken ct = default);

    /// <summary>The newest result of every (repository, ref) pair, newest first.</summary>
    Task<IReadOnlyList<StoredResult>> ListAsync(CancellationToken ct = default);

    /// <summary>
    /// The repository's newest result at <paramref name="commitSha"/> (null: any commit) and <paramref name="gitRef"/>
    /// (null: any ref; <see cref="ResultRefs.DefaultBranch"/>: the default branch's); null when there is none.
    /// </summary>
    Task<ResultBundle?> GetAsync(string repoUrl, string? commitSha = null, string? gitRef = null, CancellationToken ct = default);

    /// <summary>The summary of the result <see cref="GetAsync"/> would read, without reading its bundle; null when there is none.</summary>
    Task<StoredResult?> FindAsync(string repoUrl, string? commitSha = null, string? gitRef = null, CancellationToken ct = default);

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
