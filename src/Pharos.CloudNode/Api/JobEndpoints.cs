using Pharos.Actors.Hosting;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
using Pharos.Messages;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Api;

/// <summary>Job history, one job with its timeline, and cancellation: all answered by QueueActor.</summary>
public static class JobEndpoints
{
    public static void MapJobs(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        foreach (var route in new[] { "/jobs", "/api/v1/ingestion/jobs/history" })
        {
            app.MapGet(route, async (HttpContext context, int? limit, string? status, IRequiredActor<QueueProxy> queue) =>
                {
                    var take = limit ?? 10;
                    if (take is < 1 or > 100) return ApiProblems.BadRequest("limit must be from 1 to 100.");
                    JobStatus? filter = null;
                    if (status is not null)
                    {
                        if (!WireNames.TryParse(status, out JobStatus parsed) || !JobStatuses.States.Contains(parsed))
                            return ApiProblems.BadRequest(
                                $"status must be one of {string.Join(", ", JobStatuses.States.Select(s => s.ToName()))}.");
                        filter = parsed;
                    }
                    return await ActorAsk.AskAsync<JobsPage>(context, queue.ActorRef, new GetJobs(take, filter),
                        page => Results.Ok(page.Jobs.ToDto()));
                })
                .WithSummary("Jobs, newest first")
                .Produces<JobListDto>()
                .RequireReadScopeIf(requireReadToken);
        }

        app.MapGet("/jobs/{id}", (HttpContext context, string id, IRequiredActor<QueueProxy> queue) =>
                ActorAsk.AskAsync<JobLookup>(context, queue.ActorRef, new GetJob(id), lookup => lookup.Job is null
                    ? ApiProblems.NotFound($"No job {ApiProblems.Shorten(id)}.")
                    : Results.Ok(lookup.Job.ToDto())))
            .WithSummary("One job with its timeline")
            .Produces<JobDto>()
            .RequireReadScopeIf(requireReadToken);

        app.MapDelete("/jobs/{id}", (HttpContext context, string id, IRequiredActor<QueueProxy> queue) =>
                ActorAsk.AskAsync<CancelJobResult>(context, queue.ActorRef, context.User.CancelJob(id), result => result.Outcome switch
                {
                    CancelOutcome.Cancelled => Results.Ok(result.Job!.ToDto()),
                    CancelOutcome.NotFound => ApiProblems.NotFound($"No job {ApiProblems.Shorten(id)}."),
                    CancelOutcome.NotOwner => ApiProblems.Forbidden(
                        $"Job {ApiProblems.Shorten(id)} was submitted by another token; the token '{context.User.Identity!.Name}' " +
                        "may cancel only the jobs it submitted (a token with the admin scope may cancel any)."),
                    CancelOutcome.AlreadyFinished => ApiProblems.Conflict($"Job {id} is already {result.Job!.Status.ToName()}."),
                    _ => ApiProblems.Unavailable(context, "The durable store did not take the cancellation; try again."),
                }))
            .WithSummary("Cancel a queued or running task the caller's token submitted (any, with the admin scope)")
            .Produces<JobDto>()
            .RequireScope(ApiScope.Ingest);
    }
}
