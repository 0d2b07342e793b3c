using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Pharos.CloudNode.Auth;

/// <summary>Met when the caller holds the scope (or admin, <see cref="ScopeRules.Grants"/>).</summary>
public sealed class ScopeRequirement(ApiScope scope) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public ApiScope Scope { get; } = scope;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.IsAuthenticated() && context.User.GrantedScopes().Grants(requirement.Scope))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}

/// <summary>
/// One authorization policy per scope, named as the scope ("ingest", "read", "admin"), and the routes' way to ask for
/// one. A caller without a valid token is challenged (401, by <see cref="BearerTokenHandler"/>); a token without the
/// scope is refused here with 403 naming the token and the scope.
/// </summary>
public static class ScopePolicies
{
    public static IServiceCollection AddScopePolicies(this IServiceCollection services)
    {
        // An anonymous caller fails the first requirement; the scope check after it would only cost a flood more.
        services.AddAuthorizationBuilder().SetInvokeHandlersAfterFailure(false).AddScopePolicies();
        return services.AddSingleton<IAuthorizationMiddlewareResultHandler, ScopeRefusals>();
    }

    private static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        foreach (var scope in ScopeRules.Known)
            // ScopeRequirement is unmet without a user, and an anonymous caller is challenged whichever requirement failed,
            // so RequireAuthenticatedUser would only be a second check per request.
            builder.AddPolicy(scope.Name(), policy => policy.AddRequirements(new ScopeRequirement(scope)));
        return builder;
    }

    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScope scope, bool allowTicket = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(scope.Name()).WithMetadata(new BearerTokenRoute(allowTicket));

    /// <summary>Reads are public unless PHAROS_REQUIRE_READ_TOKEN is set.</summary>
    public static TBuilder RequireReadScopeIf<TBuilder>(this TBuilder builder, bool required, bool allowTicket = false)
        where TBuilder : IEndpointConventionBuilder =>
        required ? builder.RequireScope(ApiScope.Read, allowTicket) : builder;

    /// <summary>Writes the 403 of a missing scope; everything else is ASP.NET Core's default (401 is a challenge).</summary>
    private sealed class ScopeRefusals : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy,
            PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Forbidden
                && authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().FirstOrDefault() is { } missing)
                return AuthRefusals.WriteAsync(context, new IngestRefused(IngestRefusal.Forbidden,
                    IngestGateway.LacksScope(context.User.Identity!.Name!, missing.Scope.Name())));
            return _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }
}
