using Pharos.CloudNode.Api;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Endpoint metadata: called with every 401 and 403 the authentication layer answers on the route, before the route
/// runs (the ingest routes count them in pharos_ingest_refused_total).
/// </summary>
public sealed record CountAuthRefusals(Action<HttpContext, IngestRefusal> Count);

/// <summary>The 401 and 403 answers of the bearer scheme: problem+json as every other refusal, counted where asked.</summary>
public static class AuthRefusals
{
    /// <summary>All a caller without a valid token learns.</summary>
    public const string UnauthenticatedDetail = "A valid bearer token is required.";

    public static Task WriteAsync(HttpContext context, IngestRefused refused)
    {
        context.GetEndpoint()?.Metadata.GetMetadata<CountAuthRefusals>()?.Count(context, refused.Reason);
        return ApiProblems.Refused(context, refused).ExecuteAsync(context);
    }

    /// <summary>The client's address as the logs and the failure limit see it (behind a trusted proxy, the client's).</summary>
    public static string ClientAddress(this HttpContext context) =>
        context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
