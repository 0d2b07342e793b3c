using System.Globalization;
using System.Security.Claims;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// What an authenticated request's <see cref="HttpContext.User"/> says: the token's name (the identity's name), one
/// <see cref="Scopes.ClaimType"/> claim per scope, the token's <c>requests_per_minute</c> when it has one, and
/// <c>private_repos</c> when it holds that grant, its <c>max_queued</c> when it has a share of the queue's cap. The rate
/// limiter, the authorization policies and the endpoints read these; none of them sees the token.
/// </summary>
public static class PharosClaims
{
    public const string RequestsPerMinuteType = "requests_per_minute";
    public const string PrivateReposType = "private_repos";
    public const string MaxQueuedType = "max_queued";

    public static ClaimsPrincipal Principal(AuthResult auth, string scheme)
    {
        if (!auth.Succeeded) throw new ArgumentException("Only an authenticated token has claims.", nameof(auth));
        var claims = new List<Claim> { new(ClaimTypes.Name, auth.TokenName!) };
        claims.AddRange(Scopes.NamesOf(auth.Scopes).Select(name => new Claim(Scopes.ClaimType, name)));
        if (auth.RequestsPerMinute is { } perMinute)
            claims.Add(new Claim(RequestsPerMinuteType, perMinute.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        if (auth.PrivateRepos) claims.Add(new Claim(PrivateReposType, "true", ClaimValueTypes.Boolean));
        if (auth.MaxQueued is { } maxQueued)
            claims.Add(new Claim(MaxQueuedType, maxQueued.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    public static bool IsAuthenticated(this ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true;

    /// <summary>The scopes the caller holds; none when not authenticated.</summary>
    public static ApiScope GrantedScopes(this ClaimsPrincipal user) =>
        user.FindAll(Scopes.ClaimType).Aggregate(ApiScope.None,
            (held, claim) => Scopes.TryParse(claim.Value, out var scope) ? held | scope : held);

    /// <summary>The token's own limit; null for a token without one (not limited) or an anonymous caller.</summary>
    public static int? RequestsPerMinute(this ClaimsPrincipal user) =>
        user.FindFirst(RequestsPerMinuteType) is { } claim ? int.Parse(claim.Value, CultureInfo.InvariantCulture) : null;

    /// <summary>Whether the caller's token was granted private repositories; false when not authenticated.</summary>
    public static bool MayUsePrivateRepos(this ClaimsPrincipal user) => user.HasClaim(PrivateReposType, "true");

    /// <summary>
    /// The caller's cancellation of a job: a token may cancel the jobs it submitted, and one with the admin scope any job
    /// (the queue checks which, against the job's submitter).
    /// </summary>
    public static CancelJob CancelJob(this ClaimsPrincipal user, string taskId) =>
        user.IsAuthenticated() && user.Identity!.Name is { } name
            ? new CancelJob(taskId, name, AnyJob: (user.GrantedScopes() & ApiScope.Admin) != 0)
            : throw new InvalidOperationException("The route has no RequireScope: nobody was authenticated.");

    /// <summary>The token's share of the queue's cap; null for the whole cap.</summary>
    public static int? MaxQueued(this ClaimsPrincipal user) =>
        user.FindFirst(MaxQueuedType) is { } claim ? int.Parse(claim.Value, CultureInfo.InvariantCulture) : null;

    /// <summary>The caller as the ingest gateway knows it: name, scopes, grant and share of the queue, no credential.</summary>
    public static Caller AsCaller(this ClaimsPrincipal user) =>
        user.IsAuthenticated() && user.Identity!.Name is { } name
            ? new Caller(name, user.GrantedScopes(), user.MayUsePrivateRepos(), user.MaxQueued())
            : throw new InvalidOperationException("The route has no RequireScope: nobody was authenticated.");
}
