using Microsoft.Extensions.Logging;
using Pharos.CloudNode.Auth;
using Pharos.Testing.Logging;

namespace Pharos.CloudNode.Tests.Auth;

public sealed class AuthFailureLogTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly AuthFailureReason[] Reasons = Enum.GetValues<AuthFailureReason>();

    private static (AuthFailureLog Log, CollectingLoggerProvider Sink) Create(int lines = 5, int maxClients = ClientPartitions.MaxClients)
    {
        var sink = new CollectingLoggerProvider();
        return (new AuthFailureLog(sink.CreateLogger<AuthFailureLog>(), lines, maxClients), sink);
    }

    private static IEnumerable<LogLine> Full(CollectingLoggerProvider sink) =>
        sink.Lines.Where(l => l.EventId == AuthFailureLog.FailureEvent);

    private static LogLine[] Summaries(CollectingLoggerProvider sink) =>
        sink.Lines.Where(l => l.EventId == AuthFailureLog.SummaryEvent).ToArray();

    private static AuthFailure Failure(string ip, AuthFailureReason reason = AuthFailureReason.UnknownToken) =>
        new(ip, "/ingest", reason, "0badc0de");

    private static string Ip(int i) => $"203.0.113.{i}";

    [Property(MaxTest = 200)]
    public Property A_flood_within_a_minute_logs_at_most_five_lines_per_client_and_one_summary()
    {
        var cases = (from k in Gen.Choose(1, 20)
                     from failures in Gen.ListOf(Gen.Zip(Gen.Choose(0, k - 1), Gen.Choose(0, 59_999)))
                     from many in Gen.Choose(0, 400).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, k - 1), n))
                     from reason in Gen.Elements(Reasons)
                     select (k, failures: failures.Concat(many.Select((c, i) => (c, i * 59_999 / Math.Max(1, many.Length)))).OrderBy(f => f.Item2).ToArray(), reason))
            .ToArbitrary();
        return Prop.ForAll(cases, c =>
        {
            var (log, sink) = Create();
            foreach (var (client, ms) in c.failures)
                log.Record(Failure(Ip(client), c.reason), T0.AddMilliseconds(ms));

            var perClient = Full(sink).GroupBy(l => (string)l.Fields["ClientIp"]!).ToDictionary(g => g.Key, g => g.Count());
            var expectedPerClient = c.failures.GroupBy(f => Ip(f.Item1)).ToDictionary(g => g.Key, g => Math.Min(5, g.Count()));
            var fullLines = perClient.Values.Sum();
            var fullLinesOk = perClient.Values.All(n => n <= 5) && perClient.Count == expectedPerClient.Count
                              && expectedPerClient.All(e => perClient[e.Key] == e.Value);

            log.Flush(T0.AddMinutes(1));
            var summaries = Summaries(sink);
            var suppressed = c.failures.Length - fullLines;
            var summaryOk = suppressed == 0
                ? summaries.Length == 0
                : summaries.Length == 1 && (long)summaries[0].Fields["Suppressed"]! == suppressed
                  && (long)summaries[0].Fields["Untracked"]! == 0
                  && (int)summaries[0].Fields["Clients"]! == expectedPerClient.Count(e => c.failures.Count(f => Ip(f.Item1) == e.Key) > 5);

            return (fullLinesOk && summaryOk && sink.Lines.Count <= 5 * c.k + 1 && log.TotalFailures == c.failures.Length)
                .Label($"lines={sink.Lines.Count} full={fullLines} summaries={summaries.Length} failures={c.failures.Length}");
        });
    }

    [Property(MaxTest = 200)]
    public Property No_logged_line_ever_contains_the_presented_token()
    {
        var anyChar = Gen.Elements((TokenAuthenticatorTests.B64Alphabet + " \t=%!#$&'()*,;<>?@[]^`{|}é€\r\n\"\\").ToCharArray());
        var token = Gen.OneOf(
            TokenAuthenticatorTests.ValidToken,
            Gen.Choose(16, 80).SelectMany(n => Gen.ArrayOf(anyChar, n)).Select(cs => new string(cs))
                .Where(t => t.Trim().Length >= 16));
        var header = (string t) => Gen.Elements(
            "Bearer " + t, "bearer " + t, "Bearer  " + t, "Bearer\t" + t, "Bearer " + t + " ", " Bearer " + t,
            "Basic " + t, "Token " + t, t, "Bearer " + t + "x", "Bearer x" + t, "Bearer " + t + "=");
        var routes = (string t) => Gen.Elements("/ingest", "/api/v1/ingestion/ingest/github.com/a/b", "/jobs/42",
            "/ingest?access_token=" + t, "/ingest#" + t);
        var cases = (from t in token
                     from presentations in Gen.NonEmptyListOf(
                         from h in header(t) from r in routes(t) from client in Gen.Choose(1, 3) select (h, r, client))
                     select (token: t, presentations: presentations.ToArray())).ToArbitrary();
        return Prop.ForAll(cases, c =>
        {
            var (log, sink) = Create(lines: 2);
            // The authenticator knows other tokens only, so every presentation is refused and logged or counted.
            var authenticator = new TokenAuthenticator(
                [new TokenEntry("other", TokenAuthenticatorTests.HashOf("other-token-0123456789"), TokenAuthenticatorTests.AllScopes, null)]);
            var i = 0;
            foreach (var (presented, route, client) in c.presentations)
            {
                var result = authenticator.Authenticate(presented);
                if (result.Succeeded) return false.Label("an unknown token was accepted");
                log.Record(new AuthFailure(Ip(client), route, result.Reason!.Value, result.Fingerprint), T0.AddSeconds(i++ % 50));
                if (result.ToString().Contains(c.token, StringComparison.Ordinal)) return false.Label("AuthResult.ToString leaks");
            }
            log.Flush(T0.AddMinutes(1));
            var leaking = sink.Lines.FirstOrDefault(l => l.Everything.Contains(c.token, StringComparison.Ordinal));
            return (leaking is null && sink.Lines.Count > 0).Label(leaking?.Message ?? "no lines");
        });
    }

    [Fact]
    public void A_full_line_carries_ip_route_snake_case_reason_and_fingerprint()
    {
        var (log, sink) = Create();
        log.Record(new AuthFailure("198.51.100.7", "/ingest", AuthFailureReason.UnknownToken, "1a2b3c4d"), T0);
        log.Record(new AuthFailure("198.51.100.7", "/jobs/1", AuthFailureReason.MissingHeader, null), T0);

        var lines = sink.Lines;
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal(LogLevel.Warning, l.Level));
        Assert.Equal(typeof(AuthFailureLog).FullName, lines[0].Category);
        Assert.Equal("198.51.100.7", lines[0].Fields["ClientIp"]);
        Assert.Equal("/ingest", lines[0].Fields["Route"]);
        Assert.Equal("unknown_token", lines[0].Fields["Reason"]);
        Assert.Equal("1a2b3c4d", lines[0].Fields["Fingerprint"]);
        Assert.Contains("unknown_token", lines[0].Message);
        Assert.Contains("198.51.100.7", lines[0].Message);
        Assert.Equal("missing_header", lines[1].Fields["Reason"]);
        Assert.Equal("none", lines[1].Fields["Fingerprint"]);
    }

    [Fact]
    public void Control_characters_and_query_strings_do_not_reach_the_log()
    {
        var (log, sink) = Create();
        log.Record(new AuthFailure("10.0.0.1\nFAKE LINE", "/ingest\r\nInjected?access_token=secret", AuthFailureReason.Malformed, "deadbeef"), T0);
        var line = Assert.Single(sink.Lines);
        Assert.DoesNotContain('\n', line.Message);
        Assert.DoesNotContain('\r', line.Message);
        Assert.DoesNotContain("secret", line.Message);
        Assert.Equal("/ingest??Injected", line.Fields["Route"]);
    }

    [Fact]
    public void Summary_names_the_top_five_clients_by_suppressed_count()
    {
        var (log, sink) = Create(lines: 1);
        // Client i fails i + 1 times: 1 line each, i failures suppressed.
        for (var i = 0; i < 8; i++)
            for (var n = 0; n <= i; n++)
                log.Record(Failure(Ip(i)), T0.AddSeconds(n));
        Assert.Equal(8, Full(sink).Count());

        log.Flush(T0.AddSeconds(30));
        var summary = Assert.Single(Summaries(sink));
        Assert.Equal(28L, summary.Fields["Suppressed"]);
        Assert.Equal(7, summary.Fields["Clients"]);
        Assert.Equal("203.0.113.7=7, 203.0.113.6=6, 203.0.113.5=5, 203.0.113.4=4, 203.0.113.3=3", summary.Fields["TopClients"]);
        Assert.Equal(T0.ToString("o"), summary.Fields["Since"]);

        // Nothing new suppressed: the next flush is silent.
        log.Flush(T0.AddSeconds(90));
        Assert.Single(Summaries(sink));
    }

    [Fact]
    public void Windows_restart_after_a_minute_with_or_without_a_flush()
    {
        var (log, sink) = Create(lines: 2);
        for (var i = 0; i < 5; i++) log.Record(Failure(Ip(1)), T0.AddSeconds(i));
        for (var i = 0; i < 5; i++) log.Record(Failure(Ip(2)), T0.AddSeconds(i));
        Assert.Equal(4, Full(sink).Count());

        // Flush before the minute is over: summary written, but the windows still hold.
        log.Flush(T0.AddSeconds(30));
        log.Record(Failure(Ip(1)), T0.AddSeconds(31));
        Assert.Equal(4, Full(sink).Count());
        Assert.Equal(2, log.TrackedClients);

        // After a minute, a flush forgets both clients: each may log again.
        log.Flush(T0.AddSeconds(60));
        Assert.Equal(0, log.TrackedClients);
        log.Record(Failure(Ip(1)), T0.AddSeconds(61));
        Assert.Equal(5, Full(sink).Count());

        // Without a flush, a client's own window still rolls over after a minute.
        log.Record(Failure(Ip(1)), T0.AddSeconds(62));
        log.Record(Failure(Ip(1)), T0.AddSeconds(63));
        Assert.Equal(6, Full(sink).Count());
        log.Record(Failure(Ip(1)), T0.AddSeconds(121));
        Assert.Equal(7, Full(sink).Count());

        log.Flush(T0.AddSeconds(125));
        var summaries = Summaries(sink);
        Assert.Equal([6L, 1L, 1L], summaries.Select(s => (long)s.Fields["Suppressed"]!));
        Assert.Equal(15L, log.TotalFailures);
    }

    [Fact]
    public void Ten_times_the_default_tracking_limit_of_distinct_clients_leaves_at_most_the_limit_tracked()
    {
        var (log, _) = Create(lines: 0);
        for (var i = 0; i < 10 * ClientPartitions.MaxClients; i++)
            log.Record(Failure($"2001:db8::{i:x}"), T0.AddMilliseconds(i % 59_000));
        Assert.Equal(ClientPartitions.MaxClients, log.TrackedClients);
        Assert.Equal(10L * ClientPartitions.MaxClients, log.TotalFailures);

        // The minute flush forgets them all.
        log.Flush(T0.AddMinutes(2));
        Assert.Equal(0, log.TrackedClients);
    }

    [Fact]
    public void Clients_beyond_the_tracking_limit_are_counted_not_logged_and_memory_stays_bounded()
    {
        var (log, sink) = Create(lines: 5, maxClients: 3);
        for (var i = 0; i < 10; i++)
            for (var n = 0; n < 4; n++)
                log.Record(Failure(Ip(i)), T0.AddSeconds(n));

        Assert.Equal(3, log.TrackedClients);
        Assert.Equal(12, Full(sink).Count());
        Assert.Equal(40L, log.TotalFailures);

        log.Flush(T0.AddSeconds(59));
        var summary = Assert.Single(Summaries(sink));
        Assert.Equal(28L, summary.Fields["Suppressed"]);
        Assert.Equal(28L, summary.Fields["Untracked"]);
        Assert.Equal(0, summary.Fields["Clients"]);

        // Once the windows are over, new clients are tracked again.
        log.Flush(T0.AddSeconds(61));
        log.Record(Failure(Ip(9)), T0.AddSeconds(62));
        Assert.Equal(13, Full(sink).Count());
    }

    [Fact]
    public void Concurrent_recording_keeps_every_count()
    {
        var (log, sink) = Create();
        const int threads = 8, perThread = 2_000, clients = 40;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (var n = 0; n < perThread; n++)
            {
                log.Record(Failure(Ip((t * perThread + n) % clients), Reasons[n % Reasons.Length]), T0.AddMilliseconds(n));
                if (n % 500 == 0) log.Flush(T0.AddMilliseconds(n));
            }
        });
        log.Flush(T0.AddSeconds(59));

        var full = Full(sink).ToArray();
        Assert.Equal((long)threads * perThread, log.TotalFailures);
        Assert.All(full.GroupBy(l => l.Fields["ClientIp"]), g => Assert.True(g.Count() <= 5));
        Assert.Equal(clients * 5, full.Length);
        Assert.Equal(threads * perThread - full.Length, Summaries(sink).Sum(s => (long)s.Fields["Suppressed"]!));
    }

    [Fact]
    public void Attempts_refused_by_the_failure_limit_are_counted_in_the_summary_line_not_as_failures()
    {
        var (log, sink) = Create(lines: 2);
        for (var i = 0; i < 3; i++) log.Record(Failure(Ip(1)), T0.AddSeconds(i));
        for (var i = 0; i < 4; i++) log.RecordRefused(T0.AddSeconds(10 + i));
        Assert.Equal(2, Full(sink).Count());
        Assert.Equal(3L, log.TotalFailures);
        Assert.Equal(4L, log.TotalRefused);

        log.Flush(T0.AddSeconds(59));
        var summary = Assert.Single(Summaries(sink));
        Assert.Equal(1L, summary.Fields["Suppressed"]);
        Assert.Equal(4L, summary.Fields["Refused"]);
        Assert.EndsWith("refused with 429 past the failure limit: 4", summary.Message);

        // Refused attempts alone make a summary too, since the first of them; a quiet minute writes none.
        log.RecordRefused(T0.AddSeconds(70));
        log.Flush(T0.AddSeconds(119));
        var second = Summaries(sink)[1];
        Assert.Equal((0L, 1L, T0.AddSeconds(70).ToString("o")), ((long)second.Fields["Suppressed"]!, (long)second.Fields["Refused"]!, second.Fields["Since"]));
        Assert.Equal("none", second.Fields["TopClients"]);
        log.Flush(T0.AddSeconds(180));
        Assert.Equal(2, Summaries(sink).Length);
        Assert.Equal(5L, log.TotalRefused);
    }

    [Fact]
    public void Zero_lines_per_client_only_summarises()
    {
        var (log, sink) = Create(lines: 0);
        log.Record(Failure(Ip(1)), T0);
        Assert.Empty(sink.Lines);
        log.Flush(T0.AddMinutes(1));
        Assert.Equal(1L, Assert.Single(Summaries(sink)).Fields["Suppressed"]);
    }
}
