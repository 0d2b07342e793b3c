using System.Text.Json;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Metrics;
using Pharos.Messages;

namespace Pharos.CloudNode.Api;

/// <summary>
/// `POST /ingest`, the original service's path form, and `POST /admin/import` (a task of the original's queue with its
/// own timing). The scope policy refuses a caller without a valid token of the route's scope before the body is read
/// (401, 403); the route then reads and parses the request (413, 400) and hands the caller's identity and the parsed
/// request to the gateway, whose decisions (scope, URL, cap) every route shares.
/// </summary>
public static class IngestEndpoints
{
    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ingest", (HttpContext context, IRequiredActor<IngestGateway> gateway) =>
                SubmitBodyAsync(context, gateway.ActorRef, ParseBody))
            .WithName("Ingest")
            .IntoTheQueue(ApiScope.Ingest)
            .WithSummary("Queue a repository for embedding")
            .Produces<IngestAcceptedDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409)
            .ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);

        // The original's answer is its IngestionResponse with 200, as its clients read it; refusals are ours (their
        // "detail" is what the original's clients show).
        app.MapPost("/api/v1/ingestion/ingest/{**repo_url}", async (HttpContext context, string? repo_url, string? priority,
                string? branch, IRequiredActor<IngestGateway> gateway) =>
                // An empty ?branch= is the default branch, as the original's worker read it (`task.get("branch") or None`).
                await SubmitAsync(context, gateway.ActorRef,
                    new IngestRequest(RepairPathUrl(repo_url) ?? "", priority, string.IsNullOrEmpty(branch) ? null : branch), LegacyAccepted))
            .WithName("IngestLegacy")
            .IntoTheQueue(ApiScope.Ingest)
            .WithSummary("The original Python Pharos form: the repository URL in the path, scheme optional, ?branch= a ref")
            .Produces<LegacyIngestResponseDto>()
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409)
            .ProducesProblem(429).ProducesProblem(503);

        app.MapPost("/admin/import", (HttpContext context, IRequiredActor<IngestGateway> gateway) =>
                SubmitBodyAsync(context, gateway.ActorRef, ParseImportBody))
            .WithName("ImportLegacyTask")
            .IntoTheQueue(ApiScope.Admin)
            .WithSummary("Import a task of the original Python Pharos's queue with its own submission time and TTL")
            .WithDescription("202: queued, keeping submitted_at, expiring at submitted_at + ttl (never, without submitted_at). " +
                             "200: it was stale on arrival and is recorded as skipped (ttl_expired) with its age.")
            .Produces<ImportedJobDto>(StatusCodes.Status202Accepted)
            .Produces<ImportedJobDto>(StatusCodes.Status200OK)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(409)
            .ProducesProblem(413).ProducesProblem(429).ProducesProblem(503);
    }

    /// <summary>
    /// A route into the queue: the caller needs <paramref name="scope"/>, and the policy's 401s and 403s count as ingest
    /// refusals too, as every answer of these routes does.
    /// </summary>
    private static RouteHandlerBuilder IntoTheQueue(this RouteHandlerBuilder route, ApiScope scope) =>
        route.RequireScope(scope).WithMetadata(new CountAuthRefusals(CountRefusal));

    private static void CountRefusal(HttpContext context, IngestRefusal reason) =>
        context.RequestServices.GetRequiredService<PharosMetrics>().Refused(reason);

    private static IResult Invalid(HttpContext context, string detail)
    {
        CountRefusal(context, IngestRefusal.InvalidRequest);
        return ApiProblems.Refused(context, new IngestRefused(IngestRefusal.InvalidRequest, detail));
    }

    /// <summary>The routes with a JSON body: read it (413 past the limit), parse it (400) and submit it.</summary>
    private static async Task<IResult> SubmitBodyAsync(HttpContext context, IActorRef gateway,
        Func<byte[], (IngestRequest? Request, string? Error)> parse)
    {
        var body = await RequestBody.ReadAsync(context);
        if (body is null)
        {
            context.RequestServices.GetRequiredService<PharosMetrics>().RefusedTooLarge();
            return ApiProblems.TooLarge(RequestBody.MaxBytes);
        }
        var (request, error) = parse(body);
        return error is not null ? Invalid(context, error) : await SubmitAsync(context, gateway, request!, Accepted);
    }

    /// <summary>
    /// What a route read of a request: the repository, and the priority and ref when given; <paramref name="Imported"/>:
    /// the original Pharos's timing of an imported task (`POST /admin/import`).
    /// </summary>
    internal sealed record IngestRequest(string RepoUrl, string? Priority, string? Ref, ImportedTiming? Imported = null);

    private static async Task<IResult> SubmitAsync(HttpContext context, IActorRef gateway, IngestRequest body,
        Func<HttpContext, IngestAccepted, IResult> accepted)
    {
        if (!PriorityNames.TryParse(body.Priority, out var priority))
            return Invalid(context, "priority must be low, normal or high.");
        var request = new SubmitIngest(context.User.AsCaller(), body.RepoUrl, priority, body.Ref, body.Imported);
        var metrics = context.RequestServices.GetRequiredService<PharosMetrics>();
        var counted = false;
        var result = await ActorAsk.AskAsync<object>(context, gateway, request, reply =>
            {
                counted = true;
                switch (reply)
                {
                    case IngestAccepted taken:
                        metrics.Accepted();
                        return accepted(context, taken);
                    case ImportAccepted imported:
                        var skipped = imported.Job.Status == JobStatus.Skipped;
                        metrics.Imported(skipped);
                        context.Response.Headers.Location = $"/jobs/{imported.Job.TaskId}";
                        return Results.Json(imported.ToDto(), statusCode: skipped ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
                    case IngestRefused refused:
                        metrics.Refused(refused.Reason);
                        return ApiProblems.Refused(context, refused);
                    default:
                        metrics.Refused(IngestRefusal.StoreUnavailable);
                        return ApiProblems.Unavailable(context, "The queue gave an answer this node does not understand.");
                }
            },
            "The queue did not answer in time. Retry: if the task was taken after all, the retry answers 409 with its id.");
        // No answer in time (or the queue is down): the client hears 503.
        if (!counted) metrics.Refused(IngestRefusal.StoreUnavailable);
        return result;
    }

    private static IResult Accepted(HttpContext context, IngestAccepted accepted)
    {
        context.Response.Headers.Location = $"/jobs/{accepted.TaskId}";
        return Results.Json(accepted.ToDto(), statusCode: StatusCodes.Status202Accepted);
    }

    private static IResult LegacyAccepted(HttpContext context, IngestAccepted accepted)
    {
        context.Response.Headers.Location = $"/jobs/{accepted.TaskId}";
        return Results.Json(accepted.ToLegacyDto());
    }

    /// <summary>
    /// Strict reading of {"repo_url": "...", "priority": "...", "ref": "..."}: wrong types and repeated keys are errors;
    /// priority and ref may be null or left out.
    /// </summary>
    internal static (IngestRequest? Request, string? Error) ParseBody(byte[] body) => Parse(body, import: false);

    /// <summary>The longest TTL an import may carry, as long as TASK_TTL_SECONDS may be: a year.</summary>
    public const int MaxImportedTtlSeconds = 365 * 86_400;

    /// <summary>
    /// Strict reading of {"repo_url", "priority"?, "ref"?, "submitted_at"?, "ttl"?}: submitted_at an ISO-8601 time with its
    /// offset, or null (the original's bare URL: never stale); ttl whole seconds, or null (the queue's TTL), and only with
    /// a submitted_at. Wrong types and repeated keys are errors.
    /// </summary>
    internal static (IngestRequest? Request, string? Error) ParseImportBody(byte[] body) => Parse(body, import: true);

    /// <summary>
    /// Both bodies in one pass. An import's own keys are read only with <paramref name="import"/>, and their errors come
    /// after the errors every body can have (a repeated key, a wrong type, no repo_url).
    /// </summary>
    private static (IngestRequest? Request, string? Error) Parse(byte[] body, bool import)
    {
        if (body.Length == 0) return (null, "The body must be a JSON object with a repo_url.");
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return (null, "The body must be a JSON object with a repo_url.");
            string? repoUrl = null, priority = null, gitRef = null, importError = null;
            DateTimeOffset? submittedAt = null;
            int? ttl = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) return (null, $"The key '{ApiProblems.Shorten(property.Name, 40)}' appears more than once.");
                switch (property.Name)
                {
                    case "repo_url" when property.Value.ValueKind == JsonValueKind.String:
                        repoUrl = property.Value.GetString(); break;
                    case "priority" when property.Value.ValueKind is JsonValueKind.String:
                        priority = property.Value.GetString(); break;
                    case "ref" when property.Value.ValueKind is JsonValueKind.String:
                        gitRef = property.Value.GetString(); break;
                    case "priority" or "ref" when property.Value.ValueKind is JsonValueKind.Null:
                        break;
                    case "repo_url" or "priority" or "ref":
                        return (null, $"{property.Name} must be a string.");
                    case "submitted_at" or "ttl" when import && importError is null:
                        importError = ReadTiming(property, ref submittedAt, ref ttl);
                        break;
                }
            }
            if (repoUrl is null) return (null, "repo_url is required.");
            if (!import) return (new IngestRequest(repoUrl, priority, gitRef), null);
            if (importError is null && submittedAt is null && ttl is not null)
                importError = "ttl needs a submitted_at: a task without one (the original's bare URL) is never stale.";
            return importError is not null
                ? (null, importError)
                : (new IngestRequest(repoUrl, priority, gitRef, new ImportedTiming(submittedAt, ttl)), null);
        }
        catch (JsonException)
        {
            return (null, "The body is not valid JSON (or is nested deeper than 8 levels).");
        }
    }

    /// <summary>An import's submitted_at or ttl; the error when it is not one.</summary>
    private static string? ReadTiming(JsonProperty property, ref DateTimeOffset? submittedAt, ref int? ttl)
    {
        switch (property.Name, property.Value.ValueKind)
        {
            case ("submitted_at" or "ttl", JsonValueKind.Null):
                return null;
            case ("submitted_at", JsonValueKind.String):
                // An offset is required: a time without one would be read in this node's zone.
                if (!property.Value.TryGetDateTimeOffset(out var at) || !property.Value.TryGetDateTime(out var local)
                    || local.Kind == DateTimeKind.Unspecified)
                    return "submitted_at must be an ISO-8601 time with its offset (Z or +hh:mm), or null.";
                submittedAt = at.ToUniversalTime();
                return null;
            case ("ttl", JsonValueKind.Number):
                if (!property.Value.TryGetInt32(out var seconds) || seconds is < 0 or > MaxImportedTtlSeconds)
                    return $"ttl must be whole seconds from 0 to {MaxImportedTtlSeconds}, or null.";
                ttl = seconds;
                return null;
            case ("submitted_at", _):
                return "submitted_at must be a string or null.";
            default:
                return "ttl must be a number or null.";
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
