using System.Globalization;
using System.Security.Claims;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// What an authenticated request's <see cref="HttpContext.User"/> says: the token's name (the identity's name), one
/// <see cref="Scopes.ClaimType"/> claim per scope, the token's <c>requests_per_minute</c> when it has one, and
/// <c>private_repos</c> when it holds that grant. The rate limiter, the authorization policies and the endpoints read
/// these; none of them sees the token.
/// </summary>
public static class PharosClaims
{
    public const string RequestsPerMinuteType = "requests_per_minute";
    public const string PrivateReposType = "private_repos";

    public static ClaimsPrincipal Principal(AuthResult auth, string scheme)
    {
        if (!auth.Succeeded) throw new ArgumentException("Only an authenticated token has claims.", nameof(auth));
        var claims = new List<Claim> { new(ClaimTypes.Name, auth.TokenName!) };
        claims.AddRange(Scopes.NamesOf(auth.Scopes).Select(name => new Claim(Scopes.ClaimType, name)));
        if (auth.RequestsPerMinute is { } perMinute)
            claims.Add(new Claim(RequestsPerMinuteType, perMinute.ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer32));
        if (auth.PrivateRepos) claims.Add(new Claim(PrivateReposType, "true", ClaimValueTypes.Boolean));
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

    /// <summary>The caller as the ingest gateway knows it: name, scopes and grant, no credential.</summary>
    public static Caller AsCaller(this ClaimsPrincipal user) =>
        user.IsAuthenticated() && user.Identity!.Name is { } name
            ? new Caller(name, user.GrantedScopes(), user.MayUsePrivateRepos())
            : throw new InvalidOperationException("The route has no RequireScope: nobody was authenticated.");
}
