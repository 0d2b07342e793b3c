using System.Globalization;
using System.Net.Http.Json;
using System.Text;

namespace Pharos.CloudNode.Tests.Auth;

/// <summary>The bearer scheme's answers, field by field, and what each counts.</summary>
public sealed class BearerAnswersTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string title, string detail)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.StartsWith("https://tools.ietf.org/html/rfc9110#section-15.5.", problem.GetProperty("type").GetString());
        return problem;
    }

    private async Task<double> RefusedAsync(string reason)
    {
        var text = await Host.Client.GetStringAsync("/metrics");
        var series = $"pharos_ingest_refused_total{{reason=\"{reason}\"}} ";
        var line = text.Split('\n').Single(l => l.StartsWith(series, StringComparison.Ordinal));
        return double.Parse(line[series.Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_caller_without_a_valid_token_gets_401_with_the_challenge_and_nothing_else()
    {
        var before = await RefusedAsync("unauthenticated");
        var failures = Host.AuthFailures.TotalFailures;
        foreach (var token in new[] { null, "not-a-known-token-0123456789" })
        {
            var response = await Host.IngestAsync("https://github.com/a/b", token: token);
            await ProblemAsync(response, HttpStatusCode.Unauthorized, "Unauthorized", "A valid bearer token is required.");
            Assert.Equal("Bearer realm=\"pharos\"", response.Headers.WwwAuthenticate.ToString());
        }
        Assert.Equal(before + 2, await RefusedAsync("unauthenticated"));
        Assert.Equal(failures + 2, Host.AuthFailures.TotalFailures);
    }

    [Fact]
    public async Task A_token_without_the_scope_gets_403_naming_the_token_and_the_scope_on_every_route()
    {
        var before = await RefusedAsync("forbidden");
        var ingest = await Host.IngestAsync("https://github.com/a/b", token: TokensFile.ReadOnlyToken);
        await ProblemAsync(ingest, HttpStatusCode.Forbidden, "Forbidden", "The token 'dashboard' lacks the 'ingest' scope.");
        Assert.Empty(ingest.Headers.WwwAuthenticate);
        var legacy = await Host.Client.SendAsync(Host.Request(HttpMethod.Post, "/api/v1/ingestion/ingest/github.com/a/b", TokensFile.ReadOnlyToken));
        await ProblemAsync(legacy, HttpStatusCode.Forbidden, "Forbidden", "The token 'dashboard' lacks the 'ingest' scope.");
        Assert.Equal(before + 2, await RefusedAsync("forbidden"));

        // Other routes answer alike, and do not count as ingest refusals.
        var cancel = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, "/jobs/some-id", TokensFile.ReadOnlyToken));
        await ProblemAsync(cancel, HttpStatusCode.Forbidden, "Forbidden", "The token 'dashboard' lacks the 'ingest' scope.");
        var members = await Host.Client.SendAsync(Host.Request(HttpMethod.Get, "/cluster/members", TokensFile.IngestToken));
        await ProblemAsync(members, HttpStatusCode.Forbidden, "Forbidden", "The token 'ci' lacks the 'admin' scope.");
        Assert.Equal(before + 2, await RefusedAsync("forbidden"));
    }

    [Fact]
    public async Task Bad_bodies_are_read_only_after_the_scope_and_count_as_invalid_requests()
    {
        var before = await RefusedAsync("invalid_request");
        var forbidden = Host.Request(HttpMethod.Post, "/ingest", TokensFile.ReadOnlyToken);
        forbidden.Content = new StringContent("not json", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Forbidden, (await Host.Client.SendAsync(forbidden)).StatusCode);

        var bad = Host.Request(HttpMethod.Post, "/ingest", TokensFile.IngestToken);
        bad.Content = new StringContent("not json", Encoding.UTF8, "application/json");
        await ProblemAsync(await Host.Client.SendAsync(bad), HttpStatusCode.BadRequest, "Bad request",
            "The body is not valid JSON (or is nested deeper than 8 levels).");
        await ProblemAsync(await Host.IngestAsync("https://github.com/a/b", "urgent", TokensFile.IngestToken),
            HttpStatusCode.BadRequest, "Bad request", "priority must be low, normal or high.");
        Assert.Equal(before + 2, await RefusedAsync("invalid_request"));
    }

    [Fact]
    public async Task The_query_token_counts_on_the_WebSocket_route_only()
    {
        var withQuery = await Host.Client.SendAsync(Host.Request(HttpMethod.Post,
            "/ingest?access_token=" + TokensFile.IngestToken, token: null, json: new { repo_url = "https://github.com/a/b" }));
        Assert.Equal(HttpStatusCode.Unauthorized, withQuery.StatusCode);
        var cancel = await Host.Client.SendAsync(Host.Request(HttpMethod.Delete, "/jobs/x?access_token=" + CloudNodeHost.AdminToken, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
    }
}
