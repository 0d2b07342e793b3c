using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// One-time tickets for the live WebSocket: browsers cannot send an Authorization header on a WebSocket, and a token in
/// its URL would reach every proxy's access log. `POST /ws/ticket` (with the bearer token) issues one; it stands for
/// that token's identity on `GET /ws/status?ticket=…` once, within <see cref="Lifetime"/>. Kept in this node's memory
/// only: a ticket works on the node that issued it.
/// </summary>
public sealed class WebSocketTickets : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tickets open at once. Only callers with a token get tickets, and a browser redeems its ticket within a second;
    /// a flood of issues past this drops the tickets that expire soonest rather than grow.
    /// </summary>
    public const int MaxOpen = 10_000;

    /// <summary>The query parameter that carries a ticket.</summary>
    public const string QueryName = "ticket";

    private sealed record Issued(ClaimsPrincipal User, DateTimeOffset ExpiresAt);

    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, Issued> _open = new(StringComparer.Ordinal);
    // Tickets never redeemed are forgotten once they expire, so unused ones cannot pile up.
    private readonly ITimer _sweep;

    public WebSocketTickets(TimeProvider clock)
    {
        _clock = clock;
        _sweep = clock.CreateTimer(_ => Sweep(), null, Lifetime, Lifetime);
    }

    /// <summary>A new ticket for <paramref name="user"/>: 256 random bits, base64url.</summary>
    public string Issue(ClaimsPrincipal user)
    {
        var ticket = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        if (_open.Count >= MaxOpen) MakeRoom();
        _open[ticket] = new Issued(user, _clock.GetUtcNow() + Lifetime);
        return ticket;
    }

    /// <summary>The identity the ticket was issued to, once: null when it is unknown, already used or expired.</summary>
    public ClaimsPrincipal? Redeem(string ticket) =>
        _open.TryRemove(ticket, out var issued) && _clock.GetUtcNow() < issued.ExpiresAt ? issued.User : null;

    /// <summary>Tickets issued and neither redeemed nor swept yet.</summary>
    public int Open => _open.Count;

    private void Sweep()
    {
        var now = _clock.GetUtcNow();
        foreach (var (ticket, issued) in _open)
            if (issued.ExpiresAt <= now) _open.TryRemove(ticket, out _);
    }

    // The expired go first; if that is not enough, the tenth that expires soonest (a tenth at once, so that a flood
    // pays for one walk over the tickets every MaxOpen / 10 issues, not at each).
    private void MakeRoom()
    {
        Sweep();
        if (_open.Count < MaxOpen) return;
        foreach (var (ticket, _) in _open.ToArray().OrderBy(t => t.Value.ExpiresAt).Take(MaxOpen / 10))
            _open.TryRemove(ticket, out _);
    }

    public void Dispose() => _sweep.Dispose();
}
