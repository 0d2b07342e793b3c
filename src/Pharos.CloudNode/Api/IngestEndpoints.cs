using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Pharos.Actors.Ingest;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Metrics;
using Pharos.Messages;
using Pharos.Messages.Commands;

namespace Pharos.CloudNode.Api;

/// <summary>
/// `POST /ingest` and the original service's path form. The HTTP layer refuses a caller without a valid ingest token
/// at once and otherwise only reads the request; the decisions (token and scope again, body, URL, cap) are the
/// gateway's, so both routes behave alike.
/// </summary>
public static class IngestEndpoints
{
    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ingest", async (HttpContext context, IRequiredActor<IngestGateway> gateway) =>
            {
                if (RefuseCaller(context) is { } refused) return refused;
                var body = await RequestBody.ReadAsync(context);
                if (body is null)
                {
                    context.RequestServices.GetRequiredService<PharosMetrics>().Refused(RefusalTooLarge);
                    return ApiProblems.TooLarge(RequestBody.MaxBytes);
                }
                var (repoUrl, priority, error) = ParseBody(body);
                return await SubmitAsync(context, gateway.ActorRef, repoUrl, priority, error);
            })
            .WithName("Ingest")
            .WithMetadata(new TokenRequired())
            .WithSummary("Queue a repository for embedding")
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409)
            .ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);

        app.MapPost("/api/v1/ingestion/ingest/{**repo_url}", async (HttpContext context, string? repo_url, string? priority,
                IRequiredActor<IngestGateway> gateway) =>
                RefuseCaller(context) ?? await SubmitAsync(context, gateway.ActorRef, RepairPathUrl(repo_url), priority, null))
            .WithName("IngestLegacy")
            .WithMetadata(new TokenRequired())
            .WithSummary("The original Python Pharos form: the repository URL in the path, scheme optional")
            .Produces<IngestResponse>(StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// A caller without a valid ingest token is refused before the body is read or the gateway asked: the cheapest
    /// answer for the commonest abuse. The gateway checks the token again, as it does for any message.
    /// </summary>
    private static IResult? RefuseCaller(HttpContext context)
    {
        if (ScopeFilter.Refusal(context, Scopes.Ingest) is not { } refused) return null;
        context.RequestServices.GetRequiredService<PharosMetrics>().Refused(RefusalName(refused.Reason));
        return ApiProblems.Refused(context, refused);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IActorRef gateway, string? repoUrl,
        string? priority, string? bodyError)
    {
        var request = new SubmitIngest(repoUrl, priority, context.Request.Headers.Authorization.FirstOrDefault(),
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context.Request.Path, bodyError);
        var metrics = context.RequestServices.GetRequiredService<PharosMetrics>();
        var counted = false;
        var result = await ActorAsk.AskAsync<object>(context, gateway, request, reply =>
            {
                counted = true;
                switch (reply)
                {
                    case IngestAccepted accepted:
                        metrics.Accepted();
                        return Accepted(context, accepted);
                    case IngestRefused refused:
                        metrics.Refused(RefusalName(refused.Reason));
                        return ApiProblems.Refused(context, refused);
                    default:
                        metrics.Refused(RefusalName(IngestRefusal.StoreUnavailable));
                        return ApiProblems.Unavailable(context, "The queue gave an answer this node does not understand.");
                }
            },
            "The queue did not answer in time. Retry: if the task was taken after all, the retry answers 409 with its id.");
        // No answer in time (or the queue is down): the client hears 503.
        if (!counted) metrics.Refused(RefusalName(IngestRefusal.StoreUnavailable));
        return result;
    }

    private const string RefusalTooLarge = "too_large";

    /// <summary>The `reason` label of pharos_ingest_refused_total: queue_full, duplicate, invalid_request, ...</summary>
    internal static string RefusalName(IngestRefusal reason) => JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    private static IResult Accepted(HttpContext context, IngestAccepted accepted)
    {
        context.Response.Headers.Location = $"/jobs/{accepted.TaskId}";
        return Results.Json(IngestResponse.From(accepted), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Strict reading of {"repo_url": "...", "priority": "..."}: wrong types and repeated keys are errors.</summary>
    internal static (string? RepoUrl, string? Priority, string? Error) ParseBody(byte[] body)
    {
        if (body.Length == 0) return (null, null, "The body must be a JSON object with a repo_url.");
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, null, "The body must be a JSON object with a repo_url.");
            string? repoUrl = null, priority = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) return (null, null, $"The key '{ApiProblems.Shorten(property.Name, 40)}' appears more than once.");
                switch (property.Name)
                {
                    case "repo_url" when property.Value.ValueKind == JsonValueKind.String:
                        repoUrl = property.Value.GetString(); break;
                    case "priority" when property.Value.ValueKind is JsonValueKind.String:
                        priority = property.Value.GetString(); break;
                    case "priority" when property.Value.ValueKind is JsonValueKind.Null:
                        break;
                    case "repo_url" or "priority":
                        return (null, null, $"{property.Name} must be a string.");
                }
            }
            return repoUrl is null ? (null, null, "repo_url is required.") : (repoUrl, priority, null);
        }
        catch (JsonException)
        {
            return (null, null, "The body is not valid JSON (or is nested deeper than 8 levels).");
        }
    }

    /// <summary>Routing folds "https://x" in a path to "https:/x"; put the second slash back.</summary>
    internal static string? RepairPathUrl(string? pathUrl)
    {
        if (pathUrl is null) return null;
        var scheme = pathUrl.IndexOf(":/", StringComparison.Ordinal);
        return scheme > 0 && !pathUrl.AsSpan(scheme).StartsWith("://") ? pathUrl.Insert(scheme + 1, "/") : pathUrl;
    }
}

public sealed record IngestResponse(
    string TaskId,
    string Status,
    string RepoUrl,
    string Priority,
    int Position,
    int QueueSize,
    int MaxQueueSize,
    DateTimeOffset SubmittedAt,
    DateTimeOffset ExpiresAt)
{
    public static IngestResponse From(IngestAccepted accepted) => new(accepted.TaskId, JobStatus.Queued,
        accepted.RepoUrl, accepted.Priority.ToName(), accepted.Position, accepted.QueueSize, accepted.MaxQueueSize,
        accepted.SubmittedAt, accepted.ExpiresAt);
}
