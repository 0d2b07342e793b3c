using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;
using Pharos.CloudNode.Api;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Metrics;

namespace Pharos.CloudNode.Live;

/// <summary>
/// How many live connections (`GET /ws/status`, `GET /worker/status/stream`) the node holds open: at most
/// PHAROS_MAX_LIVE_CONNECTIONS in all and PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS from one client address (as
/// <see cref="AuthRefusals.ClientAddress"/> sees it: behind a proxy, the proxy's unless PHAROS_TRUSTED_PROXIES names it).
/// Concurrency limiters of System.Threading.RateLimiting without a queue: past either limit the route answers 429 at
/// once, before the upgrade or the stream's first byte. A connection holds its <see cref="LiveConnectionSlot"/> until
/// it ends; the route gives it back before the close handshake, so a client whose close completed may connect again.
/// </summary>
public sealed class LiveConnectionLimits : IDisposable
{
    /// <summary>The `limit` label of pharos_rate_limited_total for each limit.</summary>
    public const string TotalLimit = "live_connections";
    public const string PerAddressLimit = "live_connections_per_address";

    /// <summary>A hint only: when a slot frees is up to the clients holding them.</summary>
    private const int RetryAfterSeconds = 5;

    private readonly AuthSettings _settings;
    private readonly PharosMetrics _metrics;
    private readonly ConcurrencyLimiter _total;
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly ClientPartitions _addresses = new();

    public LiveConnectionLimits(PharosSettings settings, PharosMetrics metrics)
    {
        _settings = settings.Auth;
        _metrics = metrics;
        _total = new ConcurrencyLimiter(Permits(_settings.MaxLiveConnections));
        // A partition per address, dropped 10 s after its last connection ended (see ClientPartitions).
        _perAddress = PartitionedRateLimiter.Create<string, string>(address => _addresses.Of(
            RateLimitPartition.GetConcurrencyLimiter(address, _ => Permits(_settings.MaxLiveConnectionsPerAddress)), OverflowKey));
    }

    // Not an address: the partition every address shares once ClientPartitions.MaxClients have their own.
    private const string OverflowKey = "overflow";

    /// <summary>Client addresses with a partition of their own now (see <see cref="ClientPartitions"/>).</summary>
    internal int AddressPartitions => _addresses.Live;

    private static ConcurrencyLimiterOptions Permits(int limit) => new() { PermitLimit = limit, QueueLimit = 0 };

    /// <summary>A slot for one more connection from the caller's address, or the 429 that refuses it.</summary>
    public bool TryOpen(HttpContext context, [NotNullWhen(true)] out LiveConnectionSlot? slot,
        [NotNullWhen(false)] out IResult? refusal)
    {
        slot = null;
        refusal = null;
        var mine = _perAddress.AttemptAcquire(context.ClientAddress());
        if (!mine.IsAcquired)
        {
            mine.Dispose();
            refusal = Refuse(context, PerAddressLimit,
                $"This client address has {_settings.MaxLiveConnectionsPerAddress} live connections open, the most " +
                $"{AuthSettings.MaxLiveConnectionsPerAddressSetting.Variable} allows; close one or retry later.");
            return false;
        }
        var all = _total.AttemptAcquire();
        if (!all.IsAcquired)
        {
            all.Dispose();
            mine.Dispose();
            refusal = Refuse(context, TotalLimit,
                $"This node has {_settings.MaxLiveConnections} live connections open, the most " +
                $"{AuthSettings.MaxLiveConnectionsSetting.Variable} allows; retry later.");
            return false;
        }
        slot = new LiveConnectionSlot(mine, all, _metrics);
        return true;
    }

    private IResult Refuse(HttpContext context, string limit, string detail)
    {
        _metrics.RateLimited(limit);
        return ApiProblems.TooManyRequests(context, detail, RetryAfterSeconds);
    }

    public void Dispose()
    {
        _total.Dispose();
        _perAddress.Dispose();
    }
}

/// <summary>One open live connection's permits, in all and for its address; disposing gives both back (once).</summary>
public sealed class LiveConnectionSlot : IDisposable
{
    private readonly RateLimitLease _address;
    private readonly RateLimitLease _total;
    private readonly PharosMetrics _metrics;
    private int _released;

    internal LiveConnectionSlot(RateLimitLease address, RateLimitLease total, PharosMetrics metrics)
    {
        _address = address;
        _total = total;
        _metrics = metrics;
        metrics.LiveConnectionOpened();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 1) return;
        _total.Dispose();
        _address.Dispose();
        _metrics.LiveConnectionClosed();
    }
}
