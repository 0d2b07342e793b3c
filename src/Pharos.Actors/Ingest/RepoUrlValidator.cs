namespace Pharos.Actors.Ingest;

/// <summary>
/// Decides whether a submitted repository URL may be cloned, and gives its normal form. The cloud checks every
/// submission and each edge checks every task again with its own settings, so this is the line that keeps clients
/// from making a worker fetch from internal addresses or hosts, schemes and ports outside the allow-list, pass shell
/// or git-option text, or carry credentials. The rules themselves are <see cref="RepoUrlSyntax"/> (no I/O) and
/// <see cref="HostVerdictCache"/> (where a host resolves).
/// </summary>
public sealed class RepoUrlValidator
{
    /// <summary>The error of a host that resolves to an internal address.</summary>
    public const string InternalHostError = "host resolves to a private or loopback address";

    private readonly RepoUrlSyntax _syntax;
    private readonly HostVerdictCache _hosts;

    public RepoUrlValidator(RepoUrlPolicy policy, HostResolver? resolver = null, TimeProvider? clock = null)
    {
        _syntax = new RepoUrlSyntax(policy);
        _hosts = new HostVerdictCache(resolver, clock);
    }

    /// <summary>Every rule except the DNS one: no I/O, so the gateway can refuse floods of bad URLs cheaply.</summary>
    public RepoUrlCheck CheckSyntax(string? raw) => _syntax.Check(raw).Outcome;

    /// <summary>
    /// <see cref="CheckSyntax"/>, then resolves a remote host: accepted only when it resolves and every address is
    /// public. A lookup that fails, answers nothing or takes over <see cref="HostVerdictCache.ResolveTimeout"/> is a
    /// (transient) refusal.
    /// </summary>
    public async Task<RepoUrlCheck> ValidateAsync(string? raw, CancellationToken ct = default)
    {
        var (result, host) = _syntax.Check(raw);
        if (!result.Ok || result.IsLocal || host is null) return result;

        return await _hosts.VerdictAsync(host).WaitAsync(ct).ConfigureAwait(false) switch
        {
            HostVerdict.Public => result,
            HostVerdict.Internal => RepoUrlCheck.Reject(InternalHostError),
            _ => RepoUrlCheck.Reject(UnresolvedHostError(host), transient: true),
        };
    }

    /// <summary>The error of a host whose name did not resolve (in time).</summary>
    public static string UnresolvedHostError(string host) =>
        $"host '{RepoUrlSyntax.Clip(host)}' could not be resolved; try again later";
}
