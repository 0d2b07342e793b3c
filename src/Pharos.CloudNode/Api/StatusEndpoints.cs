using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
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
                    ActorAsk.AskAsync<WorkerStatusView>(context, tracker.ActorRef, GetWorkerStatus.Instance,
                        view => Results.Ok(view.ToDto())))
                .WithSummary("Workers and the queue, live")
                .Produces<WorkerStatusDto>()
                .RequireReadScopeIf(requireReadToken);
        }
    }
}
