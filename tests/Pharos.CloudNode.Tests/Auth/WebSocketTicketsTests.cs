using System.Security.Claims;
using Microsoft.Extensions.Time.Testing;
using Pharos.CloudNode.Auth;

namespace Pharos.CloudNode.Tests.Auth;

/// <summary><see cref="WebSocketTickets"/> on a clock the test moves: a ticket works once, within its 30 s.</summary>
public sealed class WebSocketTicketsTests
{
    private static ClaimsPrincipal User(string name) => new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], "Bearer"));

    [Fact]
    public void A_ticket_stands_for_its_token_once()
    {
        using var tickets = new WebSocketTickets(new FakeTimeProvider());
        var user = User("dashboard");
        var ticket = tickets.Issue(user);

        Assert.Same(user, tickets.Redeem(ticket));
        Assert.Null(tickets.Redeem(ticket));
        Assert.Null(tickets.Redeem("never-issued"));
    }

    [Fact]
    public void A_ticket_expires_30_seconds_after_it_was_issued()
    {
        var clock = new FakeTimeProvider();
        using var tickets = new WebSocketTickets(clock);
        Assert.Equal(TimeSpan.FromSeconds(30), WebSocketTickets.Lifetime);
        var early = tickets.Issue(User("a"));
        var late = tickets.Issue(User("b"));

        clock.Advance(WebSocketTickets.Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(tickets.Redeem(early));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(tickets.Redeem(late));
    }

    [Fact]
    public void Tickets_never_used_are_forgotten_once_they_expire()
    {
        var clock = new FakeTimeProvider();
        using var tickets = new WebSocketTickets(clock);
        for (var i = 0; i < 100; i++) tickets.Issue(User("a"));
        Assert.Equal(100, tickets.Open);

        clock.Advance(WebSocketTickets.Lifetime);
        Assert.Equal(0, tickets.Open);
    }

    [Fact]
    public void Ten_times_the_most_open_tickets_issued_at_once_leave_at_most_that_many_open_and_the_newest_redeemable()
    {
        var clock = new FakeTimeProvider();
        using var tickets = new WebSocketTickets(clock);
        var first = tickets.Issue(User("a"));
        string last = first;
        for (var i = 1; i < 10 * WebSocketTickets.MaxOpen; i++)
        {
            clock.Advance(TimeSpan.FromTicks(1));
            last = tickets.Issue(User("a"));
            Assert.InRange(tickets.Open, 1, WebSocketTickets.MaxOpen);
        }
        // The soonest to expire made room.
        Assert.Null(tickets.Redeem(first));
        Assert.NotNull(tickets.Redeem(last));
    }

    [Fact]
    public void Tickets_are_unguessable_and_safe_in_a_URL()
    {
        using var tickets = new WebSocketTickets(new FakeTimeProvider());
        var issued = Enumerable.Range(0, 1000).Select(_ => tickets.Issue(User("a"))).ToList();
        Assert.Equal(issued.Count, issued.Distinct(StringComparer.Ordinal).Count());
        // 32 random bytes, base64url without padding: nothing a URL would have to escape.
        Assert.All(issued, t => Assert.Matches("^[A-Za-z0-9_-]{43}$", t));
    }
}
