namespace Pharos.Actors.Ingest;

/// <summary>
/// The outcome of checking a repository URL. Ok means <see cref="Error"/> is null and <see cref="NormalizedUrl"/> is
/// the form to queue and compare. IsLocal marks a local path, a file:// URL or a loopback server that was accepted
/// only because PHAROS_ALLOW_LOCAL_REPOS is on.
/// </summary>
public sealed record RepoUrlCheck(string? NormalizedUrl, string? Error, bool IsLocal = false)
{
    public bool Ok => Error is null;

    public static RepoUrlCheck Accept(string normalizedUrl, bool isLocal = false) => new(normalizedUrl, null, isLocal);

    public static RepoUrlCheck Reject(string error) => new(null, error);
}
