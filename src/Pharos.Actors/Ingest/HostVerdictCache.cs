using System.Net;
using System.Net.Sockets;

namespace Pharos.Actors.Ingest;

/// <summary>Resolves a host name to its addresses; tests pass their own.</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken ct);

/// <summary>
/// Whether a host resolves to an internal address (<see cref="InternalAddresses"/>), remembered for a while. A lookup
/// that fails or takes longer than <see cref="ResolveTimeout"/> counts as not internal: the edge checks again when it
/// clones.
/// </summary>
public sealed class HostVerdictCache(HostResolver? resolver = null)
{
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);
    /// <summary>How long a host's verdict (internal or not, or unresolvable) is reused.</summary>
    public static readonly TimeSpan VerdictLifetime = TimeSpan.FromSeconds(60);
    private const int MaxRememberedHosts = 4096;

    private readonly HostResolver _resolver = resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
    private readonly Dictionary<string, HostVerdict> _verdicts = new(StringComparer.Ordinal);

    /// <summary>
    /// One lookup per host a minute at most, shared by every submission that names the host meanwhile; past a minute
    /// the old verdict still answers while one refresh runs. A flood of submissions never becomes a flood of DNS
    /// queries, and a resolver that hangs holds no request but the very first for its host.
    /// </summary>
    public Task<bool> IsInternalAsync(string host)
    {
        var now = Environment.TickCount64;
        lock (_verdicts)
        {
            if (_verdicts.TryGetValue(host, out var known))
            {
                if (now - known.AskedAt < VerdictLifetime.TotalMilliseconds || !known.Lookup.IsCompleted) return known.Lookup;
                _verdicts[host] = new HostVerdict(LookUpAsync(host), now);
                return known.Lookup.IsCompletedSuccessfully ? known.Lookup : _verdicts[host].Lookup;
            }
            // Bounded: a flood of distinct host names (only possible with PHAROS_ALLOWED_HOSTS=*) starts over.
            if (_verdicts.Count >= MaxRememberedHosts) _verdicts.Clear();
            var lookup = new HostVerdict(LookUpAsync(host), now);
            _verdicts[host] = lookup;
            return lookup.Lookup;
        }
    }

    private async Task<bool> LookUpAsync(string host)
    {
        using var timeout = new CancellationTokenSource(ResolveTimeout);
        try
        {
            // WaitAsync bounds the wait even when the resolver ignores its token.
            var addresses = await _resolver(host, timeout.Token).WaitAsync(ResolveTimeout).ConfigureAwait(false);
            return addresses.Any(InternalAddresses.IsInternal);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException or ArgumentException)
        {
            return false;
        }
    }

    private sealed record HostVerdict(Task<bool> Lookup, long AskedAt);
}
