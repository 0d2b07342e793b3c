using Microsoft.AspNetCore.Authentication;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Marks a route that takes a bearer token, so that the rate limiter (which runs before authorization) knows a request
/// without a valid one will be refused and counts it against its client's failed-authentication limit.
/// </summary>
/// <param name="AllowTicket">
/// Also take a one-time <see cref="WebSocketTickets"/> ticket from `?ticket=` when there is no Authorization header:
/// only for the WebSocket route, since browsers cannot set headers on a WebSocket. No route takes a token in its URL.
/// </param>
public sealed record BearerTokenRoute(bool AllowTicket = false);

/// <summary>
/// The "Bearer" scheme: checks the request's token once with <see cref="TokenAuthenticator"/> (or, on the WebSocket
/// route, redeems its one-time ticket with <see cref="WebSocketTickets"/>) and, when it is known,
/// makes <see cref="HttpContext.User"/> of its name, scopes and rate limit (<see cref="PharosClaims"/>). A route that
/// needs a token challenges an anonymous caller here: the failure goes to <see cref="AuthFailureLog"/> and the answer is
/// 401 problem+json with <c>WWW-Authenticate: Bearer</c>.
/// It implements <see cref="IAuthenticationHandler"/> itself rather than deriving from AuthenticationHandler: it uses
/// none of that base's options, events, forwarding or per-request logger, which a 401 flood would pay for on every
/// request (AuthFailureLog is the bounded record of failures).
/// </summary>
public sealed class BearerTokenHandler(TokenAuthenticator tokens, WebSocketTickets tickets, AuthFailureLog failures, TimeProvider clock)
    : IAuthenticationHandler
{
    public const string SchemeName = "Bearer";

    // One handler per request (the provider caches it for the request): the one check, for the challenge that may follow.
    private HttpContext _context = null!;
    private AuthenticationScheme _scheme = null!;
    private AuthResult? _result;
    private Task<AuthenticateResult>? _authenticated;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _scheme = scheme;
        _context = context;
        return Task.CompletedTask;
    }

    public Task<AuthenticateResult> AuthenticateAsync() => _authenticated ??= Task.FromResult(Authenticate());

    private AuthenticateResult Authenticate()
    {
        var header = _context.Request.Headers.Authorization.FirstOrDefault();
        if (header is null && Ticket() is { } ticket)
        {
            if (tickets.Redeem(ticket) is { } user) return AuthenticateResult.Success(new AuthenticationTicket(user, _scheme.Name));
            _result = AuthResult.Failure(AuthFailureReason.UnknownTicket, TokenHash.Fingerprint(ticket));
            return AuthenticateResult.NoResult();
        }
        var auth = _result = tokens.Authenticate(header);
        // No user is no failure until a route asks for a token (public reads, health); the challenge then reads _result.
        return auth.Succeeded
            ? AuthenticateResult.Success(new AuthenticationTicket(PharosClaims.Principal(auth, _scheme.Name), _scheme.Name))
            : AuthenticateResult.NoResult();
    }

    public async Task ChallengeAsync(AuthenticationProperties? properties)
    {
        await AuthenticateAsync();
        if (_result is { Succeeded: false, Reason: { } reason } failed)
            failures.Record(new AuthFailure(_context.ClientAddress(), _context.Request.Path, reason, failed.Fingerprint), clock.GetUtcNow());
        await AuthRefusals.WriteAsync(_context, new IngestRefused(IngestRefusal.Unauthenticated, AuthRefusals.UnauthenticatedDetail));
    }

    /// <summary>A policy refused a known token: ScopePolicies answers a missing scope itself, naming it.</summary>
    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        _context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    /// <summary>`?ticket=` on a route whose <see cref="BearerTokenRoute"/> takes tickets; null anywhere else.</summary>
    private string? Ticket() =>
        _context.GetEndpoint()?.Metadata.GetMetadata<BearerTokenRoute>() is { AllowTicket: true }
        && _context.Request.Query[WebSocketTickets.QueryName] is { Count: 1 } values
            ? values[0]
            : null;
}
