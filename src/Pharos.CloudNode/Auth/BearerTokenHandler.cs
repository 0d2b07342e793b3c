using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Pharos.Messages.Commands;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Marks a route that takes a bearer token, so that the rate limiter (which runs before authorization) knows a request
/// without a valid one will be refused and counts it against its client's failed-authentication limit.
/// </summary>
/// <param name="AllowQueryToken">
/// Also take the token from `?access_token=` when there is no Authorization header: only for the WebSocket route,
/// since browsers cannot set headers on a WebSocket. The token is never logged (failures log the path only).
/// </param>
public sealed record BearerTokenRoute(bool AllowQueryToken = false);

/// <summary>
/// The "Bearer" scheme: checks the request's token once with <see cref="TokenAuthenticator"/> and, when it is known,
/// makes <see cref="HttpContext.User"/> of its name, scopes and rate limit (<see cref="PharosClaims"/>). A route that
/// needs a token challenges an anonymous caller here: the failure goes to <see cref="AuthFailureLog"/> and the answer is
/// 401 problem+json with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenAuthenticator tokens,
    AuthFailureLog failures,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    // One handler per request: the result of the one check, for the challenge that may follow.
    private AuthResult? _result;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var auth = _result = tokens.Authenticate(Credentials());
        if (auth.Succeeded)
            return Task.FromResult(AuthenticateResult.Success(
                new AuthenticationTicket(PharosClaims.Principal(auth, Scheme.Name), Scheme.Name)));
        // No credentials at all is no failure until a route asks for a token (public reads, health).
        return Task.FromResult(auth.Reason == AuthFailureReason.MissingHeader
            ? AuthenticateResult.NoResult()
            : AuthenticateResult.Fail(auth.Reason!.Value.ToSnakeCase()));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        if (_result is { Succeeded: false, Reason: { } reason } failed)
            failures.Record(new AuthFailure(Context.ClientAddress(), Request.Path, reason, failed.Fingerprint), clock.GetUtcNow());
        await AuthRefusals.WriteAsync(Context, new IngestRefused(IngestRefusal.Unauthenticated, AuthRefusals.UnauthenticatedDetail));
    }

    /// <summary>The Authorization header, or `?access_token=` on a route whose <see cref="BearerTokenRoute"/> allows it.</summary>
    private string? Credentials()
    {
        var header = Request.Headers.Authorization.FirstOrDefault();
        if (header is null && Context.GetEndpoint()?.Metadata.GetMetadata<BearerTokenRoute>() is { AllowQueryToken: true }
            && Request.Query["access_token"].FirstOrDefault() is { } queryToken)
            return "Bearer " + queryToken;
        return header;
    }
}
