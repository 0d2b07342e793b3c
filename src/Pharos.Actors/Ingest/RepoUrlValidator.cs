
namespace Pharos.Actors.Ingest;

/// <summary>
/// Decides whether a submitted repository URL may be cloned, and gives its normal form. The edge clones whatever the
/// cloud accepts, so this is the line that keeps clients from making a worker fetch from internal addresses, pass
/// shell or git-option text, or carry credentials. The rules themselves are <see cref="RepoUrlSyntax"/> (no I/O) and
/// <see cref="HostVerdictCache"/> (where a host resolves).
/// </summary>
public sealed class RepoUrlValidator
{
    private readonly RepoUrlSyntax _syntax;
    private readonly HostVerdictCache _hosts;

    public RepoUrlValidator(RepoUrlPolicy policy, HostResolver? resolver = null)
    {
        _syntax = new RepoUrlSyntax(policy.AllowedHosts, policy.AllowedSchemes, policy.AllowLocalRepos);
        _hosts = new HostVerdictCache(resolver);
    }

    /// <summary>Every rule except the DNS one: no I/O, so the gateway can refuse floods of bad URLs cheaply.</summary>
    public RepoUrlCheck CheckSyntax(string? raw) => _syntax.Check(raw).Outcome;

    /// <summary>
    /// <see cref="CheckSyntax"/>, then resolves a remote host and refuses it when any address is internal. A lookup
    /// that fails or takes over two seconds is accepted: the edge checks again when it clones.
    /// </summary>
    public async Task<RepoUrlCheck> ValidateAsync(string? raw, CancellationToken ct = default)
    {
        var (result, host) = _syntax.Check(raw);
        if (!result.Ok || result.IsLocal || host is null) return result;

        var internalHost = await _hosts.IsInternalAsync(host).WaitAsync(ct).ConfigureAwait(false);
        return internalHost ? RepoUrlCheck.Reject("host resolves to a private or loopback address") : result;
    }
}
