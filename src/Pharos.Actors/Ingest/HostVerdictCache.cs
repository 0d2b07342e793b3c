using System.Net;
using System.Net.Sockets;

namespace Pharos.Actors.Ingest;

/// <summary>Resolves a host name to its addresses; tests pass their own.</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken ct);

/// <summary>Where a host resolves, as far as a repository URL is concerned.</summary>
public enum HostVerdict
{
    /// <summary>It resolved, and every address is public.</summary>
    Public,
    /// <summary>At least one address is internal (<see cref="InternalAddresses"/>).</summary>
    Internal,
    /// <summary>The lookup failed, timed out or answered no address: nothing says the host is safe.</summary>
    Unresolved,
}

/// <summary>
/// The <see cref="HostVerdict"/> of a host, remembered for a while. Fails closed: only a host that resolved to public
/// addresses alone is <see cref="HostVerdict.Public"/>; a lookup that fails, answers nothing or takes longer than
/// <see cref="ResolveTimeout"/> is <see cref="HostVerdict.Unresolved"/>.
/// </summary>
public sealed class HostVerdictCache(HostResolver? resolver = null, TimeProvider? clock = null)
{
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);
    /// <summary>
    /// How long a resolved host's verdict (public or internal) is reused. A public verdict only lets a URL through to
    /// the edge, which checks the address it actually connects to, so a minute of reuse opens nothing.
    /// </summary>
    public static readonly TimeSpan VerdictLifetime = TimeSpan.FromSeconds(60);
    /// <summary>
    /// How long an unresolved verdict is reused: long enough that a flood of submissions during a DNS outage is not a
    /// flood of lookups, short enough that a passing failure does not refuse a host for long.
    /// </summary>
    public static readonly TimeSpan UnresolvedLifetime = TimeSpan.FromSeconds(5);
    /// <summary>Host names remembered at once; past it the cache starts over (see docs/storage.md).</summary>
    public const int MaxRememberedHosts = 4096;

    private readonly HostResolver _resolver = resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<string, Remembered> _verdicts = new(StringComparer.Ordinal);

    /// <summary>
    /// One lookup per host at a time, shared by every submission that names the host meanwhile, and none while its
    /// verdict is fresh. Past its lifetime a public verdict still answers while one refresh runs, so a resolver that
    /// hangs holds no request but the very first for its host; a refusal is never answered stale: the submission
    /// waits for the refresh (at most <see cref="ResolveTimeout"/>).
    /// </summary>
    public Task<HostVerdict> VerdictAsync(string host)
    {
        var now = _clock.GetTimestamp();
        lock (_verdicts)
        {
            if (_verdicts.TryGetValue(host, out var known))
            {
                if (!known.Lookup.IsCompleted) return known.Lookup;
                // A lookup that faulted (a resolver's own exception) is not remembered at all.
                if (known.Lookup.IsCompletedSuccessfully && _clock.GetElapsedTime(known.AskedAt, now) < Lifetime(known.Lookup.Result))
                    return known.Lookup;
                var refresh = Remember(host, now);
                return known.Lookup is { IsCompletedSuccessfully: true, Result: HostVerdict.Public } ? known.Lookup : refresh;
            }
            // Bounded: a flood of distinct host names (only possible with PHAROS_ALLOWED_HOSTS=*) starts over.
            if (_verdicts.Count >= MaxRememberedHosts) _verdicts.Clear();
            return Remember(host, now);
        }
    }

    /// <summary>Host names remembered now: at most <see cref="MaxRememberedHosts"/>.</summary>
    internal int Count
    {
        get
        {
            lock (_verdicts) return _verdicts.Count;
        }
    }

    private static TimeSpan Lifetime(HostVerdict verdict) =>
        verdict == HostVerdict.Unresolved ? UnresolvedLifetime : VerdictLifetime;

    private Task<HostVerdict> Remember(string host, long now)
    {
        var lookup = LookUpAsync(host);
        _verdicts[host] = new Remembered(lookup, now);
        return lookup;
    }

    private async Task<HostVerdict> LookUpAsync(string host)
    {
        using var timeout = new CancellationTokenSource(ResolveTimeout, _clock);
        try
        {
            // WaitAsync bounds the wait even when the resolver ignores its token.
            var addresses = await _resolver(host, timeout.Token).WaitAsync(ResolveTimeout, _clock).ConfigureAwait(false);
            if (addresses is not { Length: > 0 }) return HostVerdict.Unresolved;
            return addresses.Any(InternalAddresses.IsInternal) ? HostVerdict.Internal : HostVerdict.Public;
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException or ArgumentException)
        {
            return HostVerdict.Unresolved;
        }
    }

    private sealed record Remembered(Task<HostVerdict> Lookup, long AskedAt);
}
