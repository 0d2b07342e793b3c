using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Pharos.CloudNode.Metrics;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// ASP.NET Core's rate limiter over every route, partitioned by who is asking (<see cref="HttpContext.User"/>, which
/// authentication has set before this runs; authorization runs after it, so that a flood is refused before any 401):
/// a token with <c>requests_per_minute</c> in PHAROS_TOKENS_FILE gets that many requests in any minute;
/// a token without it (the admin token among them) is not limited;
/// a request that will fail authentication on a route that needs a token counts against its client address,
/// PHAROS_AUTH_FAILURES_PER_MINUTE a minute, so guessing tokens is slow and a flood is refused before any work
/// (at most <see cref="ClientPartitions.MaxClients"/> addresses have a partition of their own; see <see cref="ClientPartitions"/>);
/// anything else (public reads, health) is not limited.
/// Refusals are 429 problem+json with Retry-After.
/// </summary>
public static class RateLimits
{
    public const string TokenLimit = "token";
    public const string FailedAuthLimit = "failed_auth";
    // A minute in six sliding segments: a client that spent its minute gets a permit back within 10 s.
    private const int SegmentsPerMinute = 6;

    /// <summary>The partition every failing address shares once <see cref="ClientPartitions.MaxClients"/> have their own.</summary>
    public const string FailedAuthOverflow = FailedAuthLimit + ":overflow";

    public static IServiceCollection AddPharosRateLimits(this IServiceCollection services, PharosSettings settings)
    {
        // The failing addresses' partitions of this node's limiter (registered so that they can be counted).
        var failing = new ClientPartitions();
        return services.AddSingleton(failing).AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(
                context => Partition(context, settings.Auth.AuthFailuresPerMinute, failing));
            options.OnRejected = RejectAsync;
        });
    }

    private static RateLimitPartition<string> Partition(HttpContext context, int failuresPerMinute, ClientPartitions failing)
    {
        var user = context.User;
        if (user.IsAuthenticated())
            return user.RequestsPerMinute() is { } perMinute
                ? RateLimitPartition.GetSlidingWindowLimiter($"{TokenLimit}:{user.Identity!.Name}", _ => PerMinute(perMinute))
                : RateLimitPartition.GetNoLimiter("unlimited");
        var needsToken = context.GetEndpoint()?.Metadata.GetMetadata<BearerTokenRoute>() is not null;
        if (!needsToken || failuresPerMinute == 0) return RateLimitPartition.GetNoLimiter("open");
        return failing.Of(RateLimitPartition.GetSlidingWindowLimiter($"{FailedAuthLimit}:{context.ClientAddress()}",
            _ => PerMinute(failuresPerMinute)), FailedAuthOverflow);
    }

    private static SlidingWindowRateLimiterOptions PerMinute(int permits) => new()
    {
        PermitLimit = permits,
        Window = TimeSpan.FromMinutes(1),
        SegmentsPerWindow = SegmentsPerMinute,
        // Refuse at once: a queued request would hold a connection open for up to a minute.
        QueueLimit = 0,
    };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellation)
    {
        var http = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
            ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
            : 60 / SegmentsPerMinute;
        var user = http.User;
        var (limit, detail) = user.IsAuthenticated()
            ? (TokenLimit, $"The token '{user.Identity!.Name}' may make {user.RequestsPerMinute()} requests a minute; retry in {retryAfter} s.")
            : (FailedAuthLimit, $"Too many requests without a valid token from this address; retry in {retryAfter} s.");
        http.RequestServices.GetRequiredService<PharosMetrics>().RateLimited(limit);
        if (limit == FailedAuthLimit)
            http.RequestServices.GetRequiredService<AuthFailureLog>().RecordRefused(
                http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Results.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: Api.ApiProblems.TooManyRequestsTitle)
            .ExecuteAsync(http);
    }
}
