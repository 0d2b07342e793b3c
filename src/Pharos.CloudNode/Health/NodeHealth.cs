using Akka.Cluster;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.OpenApi;
using Pharos.Actors.Hosting;
using Pharos.Actors.Queue;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Health;

/// <summary>
/// Liveness and readiness as ASP.NET Core health checks. `GET /healthz` runs the checks tagged <see cref="Live"/> (the
/// actor system runs); `GET /ready` those tagged <see cref="Ready"/>: this node is an Up member of the cluster and the
/// queue answers from its recovered journal, whichever journal it is (with Redis, a PING of it as well).
/// </summary>
public static class NodeHealth
{
    public const string Live = "live";
    public const string Ready = "ready";
    /// <summary>Readiness checks of cluster membership: `cluster_up` in the `/ready` body.</summary>
    public const string Cluster = "cluster";
    /// <summary>Readiness checks of the journal: `journal_reachable` in the `/ready` body.</summary>
    public const string Journal = "journal";

    /// <summary>The original Python Pharos's health route, kept for its clients.</summary>
    public const string LegacyHealthRoute = "/api/v1/ingestion/health";

    /// <summary>How long `/ready` waits for the queue: a queue that is recovering or moving answers when it is done.</summary>
    public static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(2);

    public static AkkaConfigurationBuilder WithNodeHealthChecks(this AkkaConfigurationBuilder builder) => builder
        .WithActorSystemLivenessCheck(tags: [Live])
        // Not Akka.Cluster.Hosting's readiness check: it stays healthy once the node has joined, and a node that is
        // leaving or was downed must stop taking traffic.
        .WithHealthCheck("cluster", (system, _, _) => Task.FromResult(MemberUp(Akka.Cluster.Cluster.Get(system).SelfMember.Status)),
            tags: [Ready, Cluster])
        .WithHealthCheck("queue", (_, registry, cancellation) => QueueAnswersAsync(registry.Get<QueueProxy>(), cancellation),
            tags: [Ready, Journal]);

    internal static HealthCheckResult MemberUp(MemberStatus status) => status == MemberStatus.Up
        ? HealthCheckResult.Healthy("This node is up in the cluster.")
        : HealthCheckResult.Unhealthy($"This node is {status.ToString().ToLowerInvariant()} in the cluster, not up.");

    /// <summary>Healthy when the queue answers; its back-off supervisor answering for it, or silence, is unhealthy.</summary>
    internal static async Task<HealthCheckResult> QueueAnswersAsync(IActorRef queue, CancellationToken cancellation)
    {
        try
        {
            var status = await queue.Ask<QueueStatus>(GetQueueStatus.Instance, QueueTimeout, cancellation);
            return HealthCheckResult.Healthy($"The queue answered: {status.Pending} pending, {status.InFlight} in flight.");
        }
        catch (AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy(
                $"The queue did not answer in {QueueTimeout.TotalSeconds:0} s: it is recovering from its journal or moving to another node.");
        }
        catch (QueueUnavailableException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }

    public static void MapNodeHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Live),
            ResponseWriter = (context, report) => context.Response.WriteAsJsonAsync(new
            {
                status = report.Status == HealthStatus.Healthy ? "ok" : "failing",
                checks = Checks(report),
            }),
        });
        app.MapHealthChecks("/ready", Readiness((context, report) => context.Response.WriteAsJsonAsync(new
        {
            status = report.Status == HealthStatus.Healthy ? "ready" : "not_ready",
            cluster_up = Passed(report, Cluster),
            journal_reachable = Passed(report, Journal),
            checks = Checks(report),
        })));
        // The same checks in the original's words: its `redis` service is the journal's store here, whichever it is.
        app.MapHealthChecks(LegacyHealthRoute, Readiness((context, report) => context.Response.WriteAsJsonAsync(new
        {
            status = report.Status == HealthStatus.Healthy ? "healthy" : "unhealthy",
            services = new { redis = Service(report, Journal), cluster = Service(report, Cluster) },
        })));
    }

    /// <summary>The readiness checks, answered by <paramref name="writer"/>; 200 only when every one is healthy.</summary>
    private static HealthCheckOptions Readiness(Func<HttpContext, HealthReport, Task> writer) => new()
    {
        Predicate = check => check.Tags.Contains(Ready),
        // A degraded check is not ready either: the body's status and the code always agree.
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = writer,
    };

    /// <summary>"healthy", or "unhealthy: " and why, as the original wrote a service's state.</summary>
    private static string Service(HealthReport report, string tag)
    {
        var failing = report.Entries.Values.Where(e => e.Tags.Contains(tag) && e.Status != HealthStatus.Healthy).ToList();
        return failing is [var first, ..]
            ? $"unhealthy: {first.Description ?? first.Exception?.Message ?? first.Status.ToString().ToLowerInvariant()}"
            : "healthy";
    }

    private static bool Passed(HealthReport report, string tag) =>
        report.Entries.Values.Where(e => e.Tags.Contains(tag)).All(e => e.Status == HealthStatus.Healthy);

    private static Dictionary<string, CheckView> Checks(HealthReport report) =>
        report.Entries.ToDictionary(e => e.Key, e => new CheckView(e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description));

    private sealed record CheckView(string Status, string? Detail);

    /// <summary>
    /// The health routes in the API description. They are not minimal-API handlers, so the generator does not see
    /// them by itself.
    /// </summary>
    public static OpenApiOptions DescribeHealthRoutes(this OpenApiOptions options) =>
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Paths ??= [];
            document.Paths["/healthz"] = Route("Liveness: the actor system runs", "It runs.", "It has stopped.");
            document.Paths["/ready"] = Route("Readiness: the cluster is up and the queue has recovered from the journal",
                "Ready: `status` is ready.", "Not ready: `status` is not_ready; `checks` says which check failed.");
            document.Paths[LegacyHealthRoute] = Route("The original Pharos's health route: the readiness checks in its words",
                "`status` is healthy; `services.redis` (the journal's store) and `services.cluster` are healthy.",
                "`status` is unhealthy; the failing service reads `unhealthy: ` and why.");
            return Task.CompletedTask;
        });

    private static OpenApiPathItem Route(string summary, string ok, string failing) => new()
    {
        Operations = new()
        {
            [HttpMethod.Get] = new OpenApiOperation
            {
                Summary = summary,
                Responses = new OpenApiResponses
                {
                    ["200"] = new OpenApiResponse { Description = ok },
                    ["503"] = new OpenApiResponse { Description = failing },
                },
            },
        },
    };
}
