using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Pharos.Actors.Hosting;
using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Persistence;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Api;

public static class StatusEndpoints
{
    public static void MapStatus(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        foreach (var route in new[] { "/worker/status", "/api/v1/ingestion/worker/status" })
        {
            app.MapGet(route, (HttpContext context, IRequiredActor<StatusTracker> tracker) =>
                    ActorAsk.AskAsync<WorkerStatusView>(context, tracker.ActorRef, GetWorkerStatus.Instance, view => Results.Ok(view.ToDto())))
                .WithSummary("Workers and the queue, live")
                .Produces<WorkerStatusDto>()
                .RequireReadScopeIf(requireReadToken);
        }

        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }))
            .WithSummary("Liveness: the process answers");

        app.MapGet("/ready", async (ActorSystem system, IRequiredActor<QueueProxy> queue, HealthCheckService health,
                CancellationToken cancellation) =>
            {
                var cluster = Cluster.Get(system).SelfMember.Status == MemberStatus.Up;
                var journal = false;
                // The store itself (Redis answers PING); the embedded journal has no check: the queue's answer is it.
                var store = await health.CheckHealthAsync(check => check.Tags.Contains(Journal.ReadyTag), cancellation);
                if (cluster && store.Status == HealthStatus.Healthy)
                {
                    try
                    {
                        await queue.ActorRef.Ask<QueueStatus>(GetQueueStatus.Instance, TimeSpan.FromSeconds(2), cancellation);
                        journal = true;
                    }
                    catch (AskTimeoutException)
                    {
                        // The queue has not recovered: the journal is unreachable or the singleton is moving.
                    }
                }
                var body = new
                {
                    status = cluster && journal ? "ready" : "not_ready", cluster_up = cluster, journal_reachable = journal,
                    checks = store.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString().ToLowerInvariant(), detail = e.Value.Description }),
                };
                return Results.Json(body, statusCode: cluster && journal ? 200 : 503);
            })
            .WithSummary("Readiness: the cluster is up and the queue has recovered from the journal");
    }
}
