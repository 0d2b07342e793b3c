using Pharos.Actors.Ingest;
using Pharos.CloudNode.Api;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Bearer-token check for the routes that do not go through the ingest gateway (reads, cancel, admin). It uses the
/// gateway's <see cref="TokenAuthenticator"/> and <see cref="AuthFailureLog"/>, so a token means the same everywhere.
/// </summary>
public static class ScopeFilter
{
    /// <param name="allowQueryToken">
    /// Also take the token from `?access_token=` when there is no Authorization header: only for the WebSocket route,
    /// since browsers cannot set headers on a WebSocket. The token is never logged (failures log the path only).
    /// </param>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope, bool allowQueryToken = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var services = http.RequestServices;
            var header = http.Request.Headers.Authorization.FirstOrDefault();
            if (header is null && allowQueryToken && http.Request.Query["access_token"].FirstOrDefault() is { } queryToken)
                header = "Bearer " + queryToken;
            var auth = services.GetRequiredService<TokenAuthenticator>().Authenticate(header);
            if (!auth.Succeeded)
            {
                services.GetRequiredService<AuthFailureLog>().Record(
                    new AuthFailure(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", http.Request.Path, auth.Reason!.Value, auth.Fingerprint),
                    services.GetRequiredService<TimeProvider>().GetUtcNow());
                return ApiProblems.Unauthenticated(http);
            }
            if (!auth.HasScope(scope)) return ApiProblems.Forbidden(http, $"The token '{auth.TokenName}' lacks the '{scope}' scope.");
            http.Items[AuthenticatedKey] = auth;
            return await next(context);
        });

    private static readonly object AuthenticatedKey = new();

    /// <summary>The token this filter accepted for the request, for handlers that record who acted.</summary>
    public static AuthResult Authenticated(HttpContext context) =>
        context.Items[AuthenticatedKey] as AuthResult
        ?? throw new InvalidOperationException("The route has no RequireScope filter: nobody was authenticated.");

    /// <summary>Reads are public unless PHAROS_REQUIRE_READ_TOKEN is set.</summary>
    public static TBuilder RequireReadScopeIf<TBuilder>(this TBuilder builder, bool required, bool allowQueryToken = false)
        where TBuilder : IEndpointConventionBuilder =>
        required ? builder.RequireScope(Scopes.Read, allowQueryToken) : builder;
}
