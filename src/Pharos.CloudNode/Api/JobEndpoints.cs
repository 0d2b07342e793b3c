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
    /// <summary>How many jobs a history route lists: 10 by default, 1 to 100.</summary>
    private static int? Limit(int? limit) => (limit ?? 10) is var take and >= 1 and <= 100 ? take : null;

    private static IResult LimitProblem => ApiProblems.BadRequest("limit must be from 1 to 100.");

    public static void MapJobs(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        app.MapGet("/jobs", async (HttpContext context, int? limit, string? status, IRequiredActor<QueueProxy> queue) =>
            {
                if (Limit(limit) is not { } take) return LimitProblem;
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

        // The original Pharos's history: finished jobs only, in its record shape.
        app.MapGet("/api/v1/ingestion/jobs/history", (HttpContext context, int? limit, IRequiredActor<QueueProxy> queue, TimeProvider clock) =>
                Limit(limit) is not { } take
                    ? Task.FromResult(LimitProblem)
                    : ActorAsk.AskAsync<JobsPage>(context, queue.ActorRef, new GetJobs(take, FinishedOnly: true),
                        page => Results.Ok(page.Jobs.ToLegacyDto(clock.GetUtcNow()))))
            .WithSummary("The original Pharos's job history: finished jobs, newest first")
            .Produces<LegacyJobHistoryDto>()
            .RequireReadScopeIf(requireReadToken);

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
                    _ => ApiProblems.Unavailable(context,
                        "The durable store did not confirm the cancellation; it may have been taken. Retry: if it was, the retry answers 409."),
                }))
            .WithSummary("Cancel a queued or running task the caller's token submitted (any, with the admin scope)")
            .Produces<JobDto>()
            .RequireScope(ApiScope.Ingest);
    }
}
