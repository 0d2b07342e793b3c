using System.Net.Http.Json;
using Pharos.CloudNode.Auth;

namespace Pharos.CloudNode.Tests.Auth;

/// <summary>
/// A node behind a trusted "proxy" (the tests' loopback client, which names a client in X-Forwarded-For), with a
/// tokens file of many limited tokens, so that every property case has tokens and a client address of its own.
/// </summary>
public sealed class RateLimitedNode : IAsyncLifetime
{
    public const int FailuresPerMinute = 4;
    public const int Tokens = 200;
    private int _next;

    public CloudNodeHost Host { get; private set; } = null!;

    /// <summary>Limits from 1 to 7 requests a minute, by index.</summary>
    public static int LimitOf(int index) => 1 + index % 7;
    public static string TokenOf(int index) => $"limited-token-{index:D4}-abcdefghijklmnop";

    public async Task InitializeAsync()
    {
        var path = Path.Combine(CloudNodeHost.NewDataDir(), "tokens.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(Enumerable.Range(0, Tokens).Select(i => new
        {
            name = $"limited-{i}",
            sha256 = TokenHash.Sha256Hex(TokenOf(i)),
            scopes = new[] { "ingest", "read" },
            requests_per_minute = LimitOf(i),
        })));
        Host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TOKENS_FILE"] = path,
            ["PHAROS_AUTH_FAILURES_PER_MINUTE"] = FailuresPerMinute.ToString(),
            ["PHAROS_TRUSTED_PROXIES"] = "127.0.0.1",
            ["MAX_QUEUE_SIZE"] = "100000",
        });
    }

    /// <summary>A token index and a client address nobody used before.</summary>
    public int Fresh() => Interlocked.Increment(ref _next) - 1 is var index && index < Tokens
        ? index
        : throw new InvalidOperationException("The fixture ran out of fresh tokens; raise Tokens.");

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class RateLimitTests(RateLimitedNode node) : IClassFixture<RateLimitedNode>
{
    private enum Caller { LimitedA, LimitedB, Admin, BadToken, NoToken }

    private HttpResponseMessage Send(Caller caller, int index, string client, bool ingest, int serial)
    {
        var token = caller switch
        {
            Caller.LimitedA => RateLimitedNode.TokenOf(index),
            Caller.LimitedB => RateLimitedNode.TokenOf(index + 1),
            Caller.Admin => CloudNodeHost.AdminToken,
            Caller.BadToken => "not-a-known-token-0123456789",
            _ => null,
        };
        // Reads need no token here; the ingest route does. A bad or missing token on it counts as a failure.
        var request = ingest
            ? node.Host.Request(HttpMethod.Post, "/ingest", token, new { repo_url = $"https://github.com/rate/r{index}-{serial}" })
            : node.Host.Request(HttpMethod.Get, "/jobs?limit=1", token);
        request.Headers.Add("X-Forwarded-For", client);
        return node.Host.Client.SendAsync(request).GetAwaiter().GetResult();
    }

    private static bool IsLimited(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.TooManyRequests
        && response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 and <= 60 }
        && response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    /// <summary>
    /// Any interleaving of two limited tokens, the admin token and callers without a valid token: each limited token
    /// is served exactly min(sent, its limit) times and refused with 429 + Retry-After after that; the admin token is
    /// never limited; requests without a valid token on the ingest route get 401 up to the client's failure limit and
    /// 429 after it, while reads without a token stay open.
    /// </summary>
    [Property(MaxTest = 30)]
    public Property Each_token_gets_its_requests_per_minute_and_failed_authentication_is_limited_per_client() =>
        Prop.ForAll(
            Gen.Elements(Caller.LimitedA, Caller.LimitedB, Caller.Admin, Caller.BadToken, Caller.NoToken)
                .Zip(Gen.Elements(true, false)).ListOf().Select(l => l.ToArray()).ToArbitrary(),
            calls =>
            {
                var index = node.Fresh();
                node.Fresh(); // B's token
                var client = $"203.0.113.{index % 250}, 198.51.100.{1 + index % 250}";
                var answers = calls.Select((call, serial) => (call.Item1, call.Item2, Response: Send(call.Item1, index, client, call.Item2, serial))).ToArray();

                bool Served(HttpResponseMessage r) => r.StatusCode != HttpStatusCode.TooManyRequests;
                bool Limited(Caller caller, int limit)
                {
                    var mine = answers.Where(a => a.Item1 == caller).Select(a => a.Response).ToArray();
                    return mine.Take(limit).All(Served) && mine.Skip(limit).All(IsLimited);
                }
                var failures = answers.Where(a => a.Item1 is Caller.BadToken or Caller.NoToken && a.Item2).Select(a => a.Response).ToArray();
                var openReads = answers.Where(a => a.Item1 is Caller.BadToken or Caller.NoToken && !a.Item2).Select(a => a.Response);
                return Limited(Caller.LimitedA, RateLimitedNode.LimitOf(index)).Label("token A")
                    .And(Limited(Caller.LimitedB, RateLimitedNode.LimitOf(index + 1))).Label("token B")
                    .And(answers.Where(a => a.Item1 == Caller.Admin).All(a => Served(a.Response))).Label("admin unlimited")
                    .And(failures.Take(RateLimitedNode.FailuresPerMinute).All(r => r.StatusCode == HttpStatusCode.Unauthorized)
                         && failures.Skip(RateLimitedNode.FailuresPerMinute).All(IsLimited)).Label("failures per client")
                    .And(openReads.All(r => r.StatusCode == HttpStatusCode.OK)).Label("reads stay open");
            });

    [Fact]
    public async Task A_limited_submission_queues_nothing_and_says_which_token_and_when_to_retry()
    {
        var index = node.Fresh();
        node.Fresh();
        var limit = RateLimitedNode.LimitOf(index);
        for (var i = 0; i < limit; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await node.Host.IngestAsync($"https://github.com/rate/once-{index}-{i}", token: RateLimitedNode.TokenOf(index))).StatusCode);

        var refused = await node.Host.IngestAsync($"https://github.com/rate/once-{index}-over", token: RateLimitedNode.TokenOf(index));

        Assert.True(IsLimited(refused));
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains($"limited-{index}", problem.GetProperty("detail").GetString());
        Assert.Contains($"{limit} requests a minute", problem.GetProperty("detail").GetString());
        // Nothing was queued for it: the same repository is new to the queue (202, not 409).
        Assert.Equal(HttpStatusCode.Accepted, (await node.Host.IngestAsync($"https://github.com/rate/once-{index}-over")).StatusCode);
        var metrics = await node.Host.Client.GetStringAsync("/metrics");
        Assert.Matches("pharos_rate_limited_total\\{limit=\"token\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task A_client_over_its_failure_limit_still_gets_in_with_a_valid_token_and_other_clients_are_not_affected()
    {
        var index = node.Fresh();
        var client = $"192.0.2.{index % 250}";
        HttpResponseMessage Bad(string from) => Send(Caller.BadToken, index, from, ingest: true, 0);
        for (var i = 0; i < RateLimitedNode.FailuresPerMinute; i++) Assert.Equal(HttpStatusCode.Unauthorized, Bad(client).StatusCode);
        Assert.True(IsLimited(Bad(client)));

        Assert.Equal(HttpStatusCode.Accepted, Send(Caller.Admin, index, client, ingest: true, 1).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, Bad("192.0.2.251").StatusCode);
        // The failure log names the client behind the proxy, not the proxy.
        Assert.Contains(node.Host.Logs.Lines, line => line.Message.Contains($"client {client} ", StringComparison.Ordinal));
    }
}

public sealed class RateLimitSettingsTests
{
    [Fact]
    public async Task Without_trusted_proxies_X_Forwarded_For_is_ignored_and_zero_turns_the_failure_limit_off()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["PHAROS_AUTH_FAILURES_PER_MINUTE"] = "2" });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            // A different claimed client each time: without PHAROS_TRUSTED_PROXIES the header changes nothing.
            var request = host.Request(HttpMethod.Post, "/ingest", "wrong-token-0123456789", new { repo_url = "https://github.com/a/b" });
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            statuses.Add((await host.Client.SendAsync(request)).StatusCode);
        }
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);

        await using var unlimited = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["PHAROS_AUTH_FAILURES_PER_MINUTE"] = "0" });
        for (var i = 0; i < 50; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await unlimited.IngestAsync("https://github.com/a/b", token: "wrong-token-0123456789")).StatusCode);
    }
}
