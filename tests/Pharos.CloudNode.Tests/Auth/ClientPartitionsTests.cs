using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Live;
using Pharos.Testing.Waiting;

namespace Pharos.CloudNode.Tests.Auth;

/// <summary>
/// Per-client partitions of the rate limiters stay bounded: the runtime's partitioned limiter drops a partition 10 s
/// after its limiter went idle, and <see cref="ClientPartitions"/> caps how many live at once. Waits are real time:
/// the runtime's idle check runs on its own timer.
/// </summary>
public sealed class ClientPartitionsTests
{
    // The runtime's idle limit is 10 s, a sliding window's whole window a minute more: generous beyond both.
    private static readonly TimeSpan IdlePartitionsGone = TimeSpan.FromMinutes(3);

    private static ConcurrencyLimiterOptions OnePermit => new() { PermitLimit = 1, QueueLimit = 0 };

    [Fact]
    public async Task Ten_times_the_cap_of_distinct_keys_leaves_at_most_the_cap_plus_the_overflow_and_idle_partitions_are_dropped()
    {
        const int cap = 100;
        var partitions = new ClientPartitions(cap);
        using var limiter = PartitionedRateLimiter.Create<string, string>(key =>
            partitions.Of(RateLimitPartition.GetConcurrencyLimiter(key, _ => OnePermit), "overflow"));

        var held = new List<RateLimitLease>();
        for (var i = 0; i < 10 * cap; i++)
        {
            held.Add(limiter.AttemptAcquire($"client-{i}"));
            Assert.True(partitions.Live <= cap + 1, $"{partitions.Live} partitions after {i + 1} keys");
        }
        Assert.Equal(cap + 1, partitions.Live);
        // The first keys got partitions of their own; every key past the cap shares the overflow's one permit.
        Assert.All(held.Take(cap), lease => Assert.True(lease.IsAcquired));
        Assert.Single(held.Skip(cap), lease => lease.IsAcquired);

        foreach (var lease in held) lease.Dispose();
        await Poll.UntilAsync(() => partitions.Live == 0, "every idle partition to be dropped", IdlePartitionsGone);

        // Room again: a new key gets a partition of its own.
        using var fresh = limiter.AttemptAcquire("client-new");
        Assert.True(fresh.IsAcquired);
        Assert.Equal(1, partitions.Live);
    }

    [Fact]
    public async Task Twice_the_cap_of_addresses_failing_authentication_over_Kestrel_leave_the_cap_plus_the_overflow()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TRUSTED_PROXIES"] = "127.0.0.1",
        });
        var failing = host.Services.GetRequiredService<ClientPartitions>();
        const int addresses = 2 * ClientPartitions.MaxClients;

        await Parallel.ForEachAsync(Enumerable.Range(0, addresses), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, cancellation) =>
            {
                using var request = host.Request(HttpMethod.Post, "/ingest", token: null, new { repo_url = "https://github.com/o/r" });
                request.Headers.Add("X-Forwarded-For", $"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
                using var response = await host.Client.SendAsync(request, cancellation);
                // 401 while the address has its own window or the overflow's has room; 429 once the shared one is spent.
                Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests });
            });

        // Every address failed within the minute, so none is idle yet: the cap holds them, the rest share the overflow
        // (a few over it at most: the 8 requests in flight may each pass the check before one of them is counted). That
        // idle partitions are then dropped is the runtime's (the live-stream test below waits for it).
        Assert.InRange(failing.Live, ClientPartitions.MaxClients, ClientPartitions.MaxClients + 1 + 8);
    }

    [Fact]
    public async Task A_thousand_addresses_opening_and_closing_live_streams_over_Kestrel_leave_no_partition_once_idle()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TRUSTED_PROXIES"] = "127.0.0.1",
            // The node learns a closed stream from its socket, a moment later: room for every one meanwhile.
            ["PHAROS_MAX_LIVE_CONNECTIONS"] = "10000",
        });
        var limits = host.Services.GetRequiredService<LiveConnectionLimits>();
        const int addresses = 1_000;

        await Parallel.ForEachAsync(Enumerable.Range(0, addresses), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, cancellation) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/worker/status/stream");
                request.Headers.Add("X-Forwarded-For", $"10.1.{i >> 8 & 255}.{i & 255}");
                using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            });

        Assert.InRange(limits.AddressPartitions, 0, ClientPartitions.MaxClients + 1);
        await Poll.UntilAsync(() => limits.AddressPartitions == 0, "the addresses' partitions to be dropped", IdlePartitionsGone);
    }
}
