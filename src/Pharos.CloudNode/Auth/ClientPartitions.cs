using System.Threading.RateLimiting;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// The per-client-address partitions of a partitioned limiter (<see cref="PartitionedRateLimiter.Create{TResource, TPartitionKey}"/>),
/// counted and capped. The runtime's partitioned limiter drops a partition, and disposes its limiter, once the limiter
/// has been idle for 10 s (a heartbeat every 100 ms reads <see cref="RateLimiter.IdleDuration"/>): a sliding window is
/// idle once a whole window has passed without a request, a concurrency limiter once its last permit is back. That
/// bounds the partitions by time only; a flood from many addresses could still make a great many within that time,
/// so past <see cref="MaxClients"/> live partitions every further request shares one overflow partition (with the same
/// limit) until partitions have gone idle. <see cref="Live"/> counts the limiters made and not yet disposed.
/// </summary>
public sealed class ClientPartitions(int maxClients = ClientPartitions.MaxClients)
{
    /// <summary>The most client addresses the node keeps state for in one per-client structure (see docs/storage.md).</summary>
    public const int MaxClients = 10_000;

    private int _live;

    /// <summary>Partitions whose limiter exists and is not disposed yet: at most the cap, plus the overflow partition.</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>
    /// <paramref name="partition"/>, its limiter counted while it lives; once the cap is reached, the partition named
    /// <paramref name="overflowKey"/> instead, made the same way.
    /// </summary>
    public RateLimitPartition<string> Of(RateLimitPartition<string> partition, string overflowKey) =>
        RateLimitPartition.Get(Live >= maxClients ? overflowKey : partition.PartitionKey, key => Track(partition.Factory(key)));

    private RateLimiter Track(RateLimiter limiter)
    {
        Interlocked.Increment(ref _live);
        // The partitioned limiter replenishes only what is a ReplenishingRateLimiter: the wrapper must stay one.
        return limiter is ReplenishingRateLimiter replenishing
            ? new CountedReplenishing(replenishing, this)
            : new Counted(limiter, this);
    }

    /// <summary>Disposes a counted limiter's inner one and uncounts it, once however often it is disposed.</summary>
    private sealed class Release(RateLimiter inner, ClientPartitions owner)
    {
        private int _done;

        public void Once()
        {
            if (Interlocked.Exchange(ref _done, 1) == 1) return;
            inner.Dispose();
            Interlocked.Decrement(ref owner._live);
        }
    }

    private sealed class Counted(RateLimiter inner, ClientPartitions owner) : RateLimiter
    {
        private readonly Release _release = new(inner, owner);

        public override TimeSpan? IdleDuration => inner.IdleDuration;
        public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => inner.AttemptAcquire(permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            inner.AcquireAsync(permitCount, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _release.Once();
        }

        protected override ValueTask DisposeAsyncCore()
        {
            _release.Once();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CountedReplenishing(ReplenishingRateLimiter inner, ClientPartitions owner) : ReplenishingRateLimiter
    {
        private readonly Release _release = new(inner, owner);

        public override TimeSpan? IdleDuration => inner.IdleDuration;
        public override bool IsAutoReplenishing => inner.IsAutoReplenishing;
        public override TimeSpan ReplenishmentPeriod => inner.ReplenishmentPeriod;
        public override bool TryReplenish() => inner.TryReplenish();
        public override RateLimiterStatistics? GetStatistics() => inner.GetStatistics();
        protected override RateLimitLease AttemptAcquireCore(int permitCount) => inner.AttemptAcquire(permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            inner.AcquireAsync(permitCount, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _release.Once();
        }

        protected override ValueTask DisposeAsyncCore()
        {
            _release.Once();
            return ValueTask.CompletedTask;
        }
    }
}
