namespace Pharos.Actors.Ingest;

/// <summary>
/// The outcome of checking a repository URL. Ok means <see cref="Error"/> is null and <see cref="NormalizedUrl"/> is
/// the form to queue and compare. IsLocal marks a local path, a file:// URL or a loopback server that was accepted
/// only because PHAROS_ALLOW_LOCAL_REPOS is on. Transient marks a refusal that may not hold later: the host did not
/// resolve (an edge tries such a clone again; the cloud refuses the submission all the same).
/// </summary>
public sealed record RepoUrlCheck(string? NormalizedUrl, string? Error, bool IsLocal = false, bool Transient = false)
{
    public bool Ok => Error is null;

    public static RepoUrlCheck Accept(string normalizedUrl, bool isLocal = false) => new(normalizedUrl, null, isLocal);

    public static RepoUrlCheck Reject(string error, bool transient = false) => new(null, error, Transient: transient);
}
