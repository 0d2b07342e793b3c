namespace Pharos.CloudNode.Auth;

public enum AuthFailureReason
{
    MissingHeader,
    EmptyCredentials,
    WrongScheme,
    Malformed,
    UnknownToken,
    /// <summary>A WebSocket ticket that is unknown, already used or expired (<see cref="WebSocketTickets"/>).</summary>
    UnknownTicket,
}

public static class AuthFailureReasonExtensions
{
    /// <summary>The name used in logs, metrics labels and problem details.</summary>
    public static string ToSnakeCase(this AuthFailureReason reason) => reason switch
    {
        AuthFailureReason.MissingHeader => "missing_header",
        AuthFailureReason.EmptyCredentials => "empty_credentials",
        AuthFailureReason.WrongScheme => "wrong_scheme",
        AuthFailureReason.Malformed => "malformed",
        AuthFailureReason.UnknownToken => "unknown_token",
        AuthFailureReason.UnknownTicket => "unknown_ticket",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

/// <summary>
/// The outcome of <see cref="TokenAuthenticator.Authenticate"/>. <see cref="Fingerprint"/> (8 hex digits of the
/// presented token's SHA-256) lets an operator correlate failures without the token ever being logged; it is null
/// when no token was presented.
/// </summary>
public sealed record AuthResult
{
    private AuthResult() { }

    public bool Succeeded { get; private init; }
    public string? TokenName { get; private init; }
    public ApiScope Scopes { get; private init; }
    /// <summary>The token's own rate limit; null means unlimited.</summary>
    public int? RequestsPerMinute { get; private init; }
    /// <summary>The token's grant to have its tasks cloned with the edge's git credentials.</summary>
    public bool PrivateRepos { get; private init; }
    /// <summary>The token's share of the queue's cap; null means the whole cap.</summary>
    public int? MaxQueued { get; private init; }
    public AuthFailureReason? Reason { get; private init; }
    public string? Fingerprint { get; private init; }

    public static AuthResult Success(TokenEntry entry, string fingerprint) => new()
    {
        Succeeded = true,
        TokenName = entry.Name,
        Scopes = entry.Scopes,
        RequestsPerMinute = entry.RequestsPerMinute,
        PrivateRepos = entry.PrivateRepos,
        MaxQueued = entry.MaxQueued,
        Fingerprint = fingerprint,
    };

    public static AuthResult Failure(AuthFailureReason reason, string? fingerprint) =>
        new() { Reason = reason, Fingerprint = fingerprint };

    // Readable in test output and logs; carries only the name and fingerprint, never the token.
    public override string ToString() => Succeeded
        ? $"AuthResult {{ Succeeded, TokenName = {TokenName}, Scopes = [{string.Join(", ", Auth.Scopes.NamesOf(Scopes))}], Fingerprint = {Fingerprint} }}"
        : $"AuthResult {{ Failed, Reason = {Reason?.ToSnakeCase()}, Fingerprint = {Fingerprint ?? "none"} }}";

    /// <summary>True when authenticated and granted <paramref name="scope"/> (<see cref="ScopeRules.Grants"/>).</summary>
    public bool HasScope(ApiScope scope) => Succeeded && Scopes.Grants(scope);
}
