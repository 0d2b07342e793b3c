using Pharos.Actors.Hosting;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Results;

namespace Pharos.CloudNode.ResultStorage;

/// <summary>
/// What both stores share: a bundle is checked before it is written, and a read goes through a small cache of parsed
/// bundles, so that repeated `similar` queries on one repository neither re-read nor re-parse it. A cached bundle is
/// used only while the store's summary of that ref and commit (task, trained_at, counts) is the one it was cached under, so a
/// replacement written by another cloud node on the same Redis is never hidden by this node's cache.
/// </summary>
public abstract class ResultStore(int keep, ResultCache cache) : IResultStore
{
    public int Keep { get; } = keep is >= 1 and <= 100 ? keep : throw new ArgumentOutOfRangeException(nameof(keep), keep, "1..100");

    public async Task<StoredResult> PutAsync(CheckedBundle bundle, CancellationToken ct = default)
    {
        var stored = StoredResult.Of(bundle.Header);
        await WriteAsync(stored, bundle.Bytes, ct).ConfigureAwait(false);
        cache.Forget(stored.RepoUrl);
        return stored;
    }

    public Task<IReadOnlyList<StoredResult>> ListAsync(CancellationToken ct = default) => ListNewestAsync(ct);

    public async Task<ResultBundle?> GetAsync(string repoUrl, string? commitSha = null, string? gitRef = null, CancellationToken ct = default)
    {
        var summary = await FindSummaryAsync(repoUrl, commitSha, gitRef, ct).ConfigureAwait(false);
        if (summary is null) return null;
        if (cache.Find(summary) is { } cached) return cached;
        var bytes = await ReadAsync(repoUrl, summary.Ref ?? ResultRefs.DefaultBranch, summary.CommitSha, ct).ConfigureAwait(false);
        // Deleted or pruned since the summary was read.
        if (bytes is null) return null;
        var bundle = ResultBundle.Read(bytes);
        cache.Add(StoredResult.Of(bundle.Header), bundle);
        return bundle;
    }

    public Task<StoredResult?> FindAsync(string repoUrl, string? commitSha = null, string? gitRef = null, CancellationToken ct = default) =>
        FindSummaryAsync(repoUrl, commitSha, gitRef, ct);

    public async Task<bool> DeleteAsync(string repoUrl, CancellationToken ct = default)
    {
        var removed = await RemoveAsync(repoUrl, ct).ConfigureAwait(false);
        cache.Forget(repoUrl);
        return removed;
    }

    /// <summary>
    /// Writes the bundle, replacing the same ref and commit, and deletes all but the newest <see cref="Keep"/> commits
    /// of its (repository, ref) pair, atomically; the repository's other refs are left as they are.
    /// </summary>
    protected abstract Task WriteAsync(StoredResult result, ReadOnlyMemory<byte> bundle, CancellationToken ct);

    /// <summary>
    /// The newest result of each (repository, ref) pair, newest first (ties: the greater repository URL, then the
    /// greater ref, the default branch being the least).
    /// </summary>
    protected abstract Task<IReadOnlyList<StoredResult>> ListNewestAsync(CancellationToken ct);

    /// <summary>
    /// The summary of the newest result that matches (<paramref name="commitSha"/> null: any commit;
    /// <paramref name="gitRef"/> null: any ref, <see cref="ResultRefs.DefaultBranch"/>: the default branch), newest by
    /// trained_at, then the greater commit SHA, then the greater ref; null when there is none.
    /// </summary>
    protected abstract Task<StoredResult?> FindSummaryAsync(string repoUrl, string? commitSha, string? gitRef, CancellationToken ct);

    /// <summary>The stored bytes of the bundle at that ref (<see cref="ResultRefs.DefaultBranch"/> for none) and commit, or null.</summary>
    protected abstract Task<byte[]?> ReadAsync(string repoUrl, string gitRef, string commitSha, CancellationToken ct);

    protected abstract Task<bool> RemoveAsync(string repoUrl, CancellationToken ct);
}

public static class ResultIntakeHosting
{
    /// <summary>The cloud node's <see cref="ResultIntake"/>, at /user/result-intake, storing into the node's result store.</summary>
    public static AkkaConfigurationBuilder WithResultIntake(this AkkaConfigurationBuilder builder, PharosSettings settings) =>
        builder.WithActors((system, registry, resolver) => registry.Register<ResultIntake>(system.ActorOf(
            ResultIntake.Props(new IntakeSettings(Path.Combine(settings.Storage.DataDirFull, "incoming"), settings.Results.MaxResultBytes),
                resolver.GetService<IResultStore>(), registry.Get<QueueProxy>()),
            ResultIntake.Name)));
}
