using Pharos.Actors.Ingest;
using Pharos.CloudNode.Api;
using Pharos.Messages.Commands;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Marks a route that takes a bearer token, so that the rate limiter (which runs before the route) knows a request
/// without a valid one will be refused and counts it against its client's failed-authentication limit.
/// </summary>
/// <param name="AllowQueryToken">
/// Also take the token from `?access_token=` when there is no Authorization header: only for the WebSocket route,
/// since browsers cannot set headers on a WebSocket. The token is never logged (failures log the path only).
/// </param>
public sealed record TokenRequired(bool AllowQueryToken = false);

/// <summary>
/// Bearer-token check for the routes that do not go through the ingest gateway (reads, cancel, admin). It uses the
/// gateway's <see cref="TokenAuthenticator"/> and <see cref="AuthFailureLog"/>, so a token means the same everywhere.
/// </summary>
public static class ScopeFilter
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope, bool allowQueryToken = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new TokenRequired(allowQueryToken)).AddEndpointFilter(async (context, next) =>
            Refusal(context.HttpContext, scope) is { } refused
                ? ApiProblems.Refused(context.HttpContext, refused)
                : await next(context));

    /// <summary>
    /// Null when the request's token has <paramref name="scope"/>; otherwise the 401 (recorded in the failure log) or
    /// 403 to answer.
    /// </summary>
    public static IngestRefused? Refusal(HttpContext http, string scope)
    {
        var auth = Authenticate(http);
        if (!auth.Succeeded)
        {
            var services = http.RequestServices;
            services.GetRequiredService<AuthFailureLog>().Record(
                new AuthFailure(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", http.Request.Path, auth.Reason!.Value, auth.Fingerprint),
                services.GetRequiredService<TimeProvider>().GetUtcNow());
            return new IngestRefused(IngestRefusal.Unauthenticated, IngestGateway.UnauthenticatedDetail);
        }
        return auth.HasScope(scope)
            ? null
            : new IngestRefused(IngestRefusal.Forbidden, $"The token '{auth.TokenName}' lacks the '{scope}' scope.");
    }

    private static readonly object AuthenticatedKey = new();

    /// <summary>
    /// The request's credentials checked once (the rate limiter and the route's filter both ask): the Authorization
    /// header, or `?access_token=` on a route whose <see cref="TokenRequired"/> allows it.
    /// </summary>
    public static AuthResult Authenticate(HttpContext context)
    {
        if (context.Items[AuthenticatedKey] is AuthResult known) return known;
        var header = context.Request.Headers.Authorization.FirstOrDefault();
        if (header is null && context.GetEndpoint()?.Metadata.GetMetadata<TokenRequired>() is { AllowQueryToken: true }
            && context.Request.Query["access_token"].FirstOrDefault() is { } queryToken)
            header = "Bearer " + queryToken;
        var auth = context.RequestServices.GetRequiredService<TokenAuthenticator>().Authenticate(header);
        context.Items[AuthenticatedKey] = auth;
        return auth;
    }

    /// <summary>The token the route's filter accepted, for handlers that record who acted.</summary>
    public static AuthResult Authenticated(HttpContext context) =>
        context.Items[AuthenticatedKey] is AuthResult { Succeeded: true } auth
            ? auth
            : throw new InvalidOperationException("The route has no RequireScope filter: nobody was authenticated.");

    /// <summary>Reads are public unless PHAROS_REQUIRE_READ_TOKEN is set.</summary>
    public static TBuilder RequireReadScopeIf<TBuilder>(this TBuilder builder, bool required, bool allowQueryToken = false)
        where TBuilder : IEndpointConventionBuilder =>
        required ? builder.RequireScope(Scopes.Read, allowQueryToken) : builder;
}
