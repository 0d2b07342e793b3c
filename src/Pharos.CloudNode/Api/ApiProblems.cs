namespace Pharos.CloudNode.Api;

/// <summary>The problem+json answers of the API, one place for their status codes and headers.</summary>
public static class ApiProblems
{
    public static IResult Refused(HttpContext context, IngestRefused refused)
    {
        var status = refused.Reason switch
        {
            IngestRefusal.Unauthenticated => StatusCodes.Status401Unauthorized,
            IngestRefusal.Forbidden => StatusCodes.Status403Forbidden,
            IngestRefusal.InvalidRequest => StatusCodes.Status400BadRequest,
            IngestRefusal.Duplicate => StatusCodes.Status409Conflict,
            IngestRefusal.QueueFull or IngestRefusal.MaxQueued => StatusCodes.Status429TooManyRequests,
            IngestRefusal.StoreUnavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
        if (refused.Reason == IngestRefusal.Unauthenticated) Challenge(context);
        if (refused.RetryAfterSeconds is { } retryAfter) context.Response.Headers.RetryAfter = retryAfter.ToString();
        var extensions = refused.ExistingTaskId is null
            ? null
            : new Dictionary<string, object?> { ["task_id"] = refused.ExistingTaskId };
        return Results.Problem(refused.Detail, statusCode: status, title: Titles[refused.Reason], extensions: extensions);
    }


    public static IResult BadRequest(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: Titles[IngestRefusal.InvalidRequest]);

    public static IResult NotFound(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Forbidden(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: Titles[IngestRefusal.Forbidden]);

    public static IResult Conflict(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static IResult TooLarge(int limit) =>
        Results.Problem($"The request body is larger than {limit} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Request body too large");

    public static IResult Unavailable(HttpContext context, string detail, int retryAfterSeconds = 5)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString();
        return Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: Titles[IngestRefusal.StoreUnavailable]);
    }

    /// <summary>A 429 of a limit that is not the queue's: the detail names the limit and its setting.</summary>
    public static IResult TooManyRequests(HttpContext context, string detail, int retryAfterSeconds)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: TooManyRequestsTitle);
    }

    /// <summary>The title of every 429 but the queue's own (which says "Queue full").</summary>
    public const string TooManyRequestsTitle = "Too many requests";

    /// <summary>Input echoed in a detail is cut short: a detail should explain, not mirror the request.</summary>
    public static string Shorten(string text, int length = 64) => text.Length <= length ? text : text[..length] + "…";

    private static void Challenge(HttpContext context) =>
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"pharos\"";

    private static readonly Dictionary<IngestRefusal, string> Titles = new()
    {
        [IngestRefusal.Unauthenticated] = "Unauthorized",
        [IngestRefusal.Forbidden] = "Forbidden",
        [IngestRefusal.InvalidRequest] = "Bad request",
        [IngestRefusal.Duplicate] = "Already queued",
        [IngestRefusal.QueueFull] = "Queue full",
        [IngestRefusal.MaxQueued] = "Token's share of the queue used",
        [IngestRefusal.StoreUnavailable] = "Service unavailable",
    };
}
