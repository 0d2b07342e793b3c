using Pharos.Cli.Commands;

namespace Pharos.Cli.Remote;

/// <summary>A refusal of the cloud, as one line that names the cause and, where there is one, what to do.</summary>
internal sealed class ApiException(HttpStatusCode status, string message, string? detail) : CliException(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The server's own reason (the problem's <c>detail</c>), for reports that list refusals.</summary>
    public string? Detail { get; } = detail;

    public static ApiException From(HttpMethod method, string path, ApiResponse response, RemoteSettings settings)
    {
        var problem = response.Problem;
        var detail = problem?.Detail ?? problem?.Title;
        var why = detail ?? $"HTTP {(int)response.Status}";
        var retry = response.RetryAfter is { } delta ? $" Retry after {delta.TotalSeconds:0} s." : "";
        var message = response.Status switch
        {
            HttpStatusCode.Unauthorized => $"the token was refused: {why} ({settings.TokenSourceHint})",
            HttpStatusCode.Forbidden => $"the token is not allowed to do this: {why}",
            HttpStatusCode.NotFound when problem is null =>
                $"the Pharos cloud at {settings.BaseUrl} has no route {method.Method} {RouteOf(path)} (is it an older version?)",
            HttpStatusCode.NotFound => $"not found: {why}",
            HttpStatusCode.Conflict when problem?.TaskId is { } existing =>
                $"already queued as task {existing}: {why}",
            HttpStatusCode.Conflict => $"conflict: {why}",
            HttpStatusCode.TooManyRequests => $"refused for now: {why}{retry}",
            HttpStatusCode.ServiceUnavailable => $"the Pharos cloud is unavailable: {why}{retry}",
            HttpStatusCode.BadRequest => $"refused: {why}",
            HttpStatusCode.RequestEntityTooLarge => $"refused: {why}",
            _ => $"the Pharos cloud answered {(int)response.Status} {response.Status}: {why}",
        };
        return new ApiException(response.Status, message, detail);
    }

    private static string RouteOf(string path) => "/" + path.Split('?', 2)[0].TrimStart('/');
}
