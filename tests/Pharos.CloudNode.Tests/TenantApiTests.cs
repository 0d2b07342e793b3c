using System.Net.Http.Json;
using Pharos.CloudNode.Auth;
using static Pharos.CloudNode.Tests.Problems;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// Tokens as tenants of one queue (the cap at its default of 10): each cancels only its own jobs (a token with the admin
/// scope any), holds at most its share of the cap, and case variants of a repository on a host that ignores case are
/// one repository.
/// </summary>
public sealed class TenantApiTests(TenantNode node) : IClassFixture<TenantNode>
{
    private CloudNodeHost Host => node.Host;

    private static string Repo(string name) => $"https://github.com/tenant-tests/{name}-{Guid.NewGuid():N}";

    private async Task<string> SubmitAsync(string token, string? repo = null)
    {
        var response = await Host.IngestAsync(repo ?? Repo("r"), token: token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!;
    }

    private Task<HttpResponseMessage> CancelAsync(string id, string token) =>
        Host.Client.SendAsync(Host.Request(HttpMethod.Delete, $"/jobs/{id}", token));

    /// <summary>Every test starts from an empty queue: the admin token cancels whatever an earlier one left queued.</summary>
    private async Task EmptyQueueAsync()
    {
        foreach (var job in (await Host.JsonAsync("/jobs?limit=100&status=queued")).GetProperty("jobs").EnumerateArray())
            Assert.Equal(HttpStatusCode.OK, (await CancelAsync(job.GetProperty("task_id").GetString()!, CloudNodeHost.AdminToken)).StatusCode);
    }

    [Fact]
    public async Task A_token_cancels_its_own_jobs_another_token_gets_403_and_an_admin_token_cancels_any()
    {
        await EmptyQueueAsync();
        var own = await SubmitAsync(TenantNode.CiToken);

        var refused = await ProblemAsync(await CancelAsync(own, TenantNode.OtherToken), HttpStatusCode.Forbidden);
        Assert.Equal($"Job {own} was submitted by another token; the token 'other' may cancel only the jobs it submitted " +
            "(a token with the admin scope may cancel any).", refused.GetProperty("detail").GetString());
        Assert.Equal("queued", (await Host.JsonAsync($"/jobs/{own}")).GetProperty("status").GetString());

        var cancelled = await CancelAsync(own, TenantNode.CiToken);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var job = await cancelled.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("cancelled", "ci"), (job.GetProperty("status").GetString(), job.GetProperty("requested_by").GetString()));
        // Finished or not, another token's job stays another token's.
        await ProblemAsync(await CancelAsync(own, TenantNode.OtherToken), HttpStatusCode.Forbidden);
        await ProblemAsync(await CancelAsync(own, TenantNode.CiToken), HttpStatusCode.Conflict);

        foreach (var admin in new[] { CloudNodeHost.AdminToken, TenantNode.OpsToken })
        {
            var theirs = await SubmitAsync(TenantNode.CiToken);
            var byAdmin = await CancelAsync(theirs, admin);
            Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
            Assert.Equal("cancelled", (await byAdmin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task A_token_past_its_max_queued_answers_429_saying_so_and_a_full_queue_still_answers_its_own_429()
    {
        await EmptyQueueAsync();
        // "ci" names no max_queued: half the cap of 10.
        for (var i = 0; i < 5; i++) await SubmitAsync(TenantNode.CiToken);
        var past = await Host.IngestAsync(Repo("sixth"), token: TenantNode.CiToken);
        var problem = await ProblemAsync(past, (HttpStatusCode)429);
        Assert.Equal("Token's share of the queue used", problem.GetProperty("title").GetString());
        Assert.Equal("The token 'ci' has 5 tasks queued, its share of the queue (max_queued 5 of 10); wait until one starts or cancel one.",
            problem.GetProperty("detail").GetString());
        // Every route into the queue holds it: the original service's path form too.
        var legacy = await Host.Client.SendAsync(Host.Request(HttpMethod.Post,
            $"/api/v1/ingestion/ingest/github.com/tenant-tests/legacy-{Guid.NewGuid():N}", TenantNode.CiToken));
        Assert.Contains("max_queued 5 of 10", (await ProblemAsync(legacy, (HttpStatusCode)429)).GetProperty("detail").GetString());

        // "small" names its own share; the admin token has the whole cap, and meets the queue's own limit.
        for (var i = 0; i < 2; i++) await SubmitAsync(TenantNode.SmallToken);
        Assert.Contains("The token 'small' has 2 tasks queued",
            (await ProblemAsync(await Host.IngestAsync(Repo("third"), token: TenantNode.SmallToken), (HttpStatusCode)429))
            .GetProperty("detail").GetString());
        for (var i = 0; i < 3; i++) await SubmitAsync(CloudNodeHost.AdminToken);
        var full = await Host.IngestAsync(Repo("eleventh"));
        var fullProblem = await ProblemAsync(full, (HttpStatusCode)429);
        Assert.Equal(("Queue full", "The queue holds its maximum of 10 tasks; try again later."),
            (fullProblem.GetProperty("title").GetString(), fullProblem.GetProperty("detail").GetString()));
        Assert.NotNull(full.Headers.RetryAfter);

        var metrics = await (await Host.Client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("pharos_ingest_refused_total{reason=\"max_queued\"} 3", metrics);

        // Cancelling one of its own frees a place in its share.
        var ciJob = (await Host.JsonAsync("/jobs?limit=100&status=queued")).GetProperty("jobs").EnumerateArray()
            .First(j => j.GetProperty("requested_by").GetString() == "ci").GetProperty("task_id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await CancelAsync(ciJob, TenantNode.CiToken)).StatusCode);
        await SubmitAsync(TenantNode.CiToken);
        await EmptyQueueAsync();
    }

    [Fact]
    public async Task A_case_variant_of_a_queued_repository_answers_409_on_a_host_that_ignores_case_only()
    {
        await EmptyQueueAsync();
        var name = $"Requests-{Guid.NewGuid():N}";
        var accepted = await Host.IngestAsync($"https://github.com/PSF-Tests/{name}");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await accepted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"https://github.com/psf-tests/{name.ToLowerInvariant()}", body.GetProperty("repo_url").GetString());

        var duplicate = await ProblemAsync(await Host.IngestAsync($"https://github.com/psf-tests/{name.ToLowerInvariant()}"),
            HttpStatusCode.Conflict);
        Assert.Equal(body.GetProperty("task_id").GetString(), duplicate.GetProperty("task_id").GetString());

        // A host not known to ignore case keeps the case of the path: two spellings are two repositories.
        Assert.Equal(HttpStatusCode.Accepted, (await Host.IngestAsync($"https://codeberg.org/Owner/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Host.IngestAsync($"https://codeberg.org/owner/{name.ToLowerInvariant()}")).StatusCode);
        await EmptyQueueAsync();
    }

    [Fact]
    public async Task A_tokens_share_is_counted_by_the_queue_so_it_holds_across_a_restart_of_the_node()
    {
        var dataDir = CloudNodeHost.NewDataDir();
        try
        {
            var settings = new Dictionary<string, string?> { ["PHAROS_TOKENS_FILE"] = node.TokensFile };
            await using (var first = await CloudNodeHost.StartAsync(settings, dataDir))
            {
                for (var i = 0; i < 2; i++)
                    Assert.Equal(HttpStatusCode.Accepted, (await first.IngestAsync(Repo("before"), token: TenantNode.SmallToken)).StatusCode);
            }

            await using var second = await CloudNodeHost.StartAsync(settings, dataDir);
            var refused = await ProblemAsync(await second.IngestAsync(Repo("after"), token: TenantNode.SmallToken), (HttpStatusCode)429);
            Assert.Contains("The token 'small' has 2 tasks queued", refused.GetProperty("detail").GetString());
            Assert.Equal(HttpStatusCode.Accepted, (await second.IngestAsync(Repo("after"), token: TenantNode.CiToken)).StatusCode);
        }
        finally
        {
            CloudNodeHost.TryDelete(dataDir);
        }
    }
}

/// <summary>A node at the default cap with four tokens besides the admin one: two plain, one with a share of its own, one admin.</summary>
public sealed class TenantNode : IAsyncLifetime
{
    public const string CiToken = "tenant-ci-token-0123456789abcdef";
    public const string OtherToken = "tenant-other-token-0123456789abc";
    public const string SmallToken = "tenant-small-token-0123456789abc";
    public const string OpsToken = "tenant-ops-token-0123456789abcdef";

    public CloudNodeHost Host { get; private set; } = null!;
    public string TokensFile { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        TokensFile = Path.Combine(CloudNodeHost.NewDataDir(), "tokens.json");
        await File.WriteAllTextAsync(TokensFile, JsonSerializer.Serialize(new object[]
        {
            new { name = "ci", sha256 = TokenHash.Sha256Hex(CiToken), scopes = new[] { "ingest", "read" } },
            new { name = "other", sha256 = TokenHash.Sha256Hex(OtherToken), scopes = new[] { "ingest" } },
            new { name = "small", sha256 = TokenHash.Sha256Hex(SmallToken), scopes = new[] { "ingest" }, max_queued = 2 },
            new { name = "ops", sha256 = TokenHash.Sha256Hex(OpsToken), scopes = new[] { "admin" } },
        }));
        Host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_TOKENS_FILE"] = TokensFile,
            ["PHAROS_ALLOWED_HOSTS"] = "github.com,codeberg.org",
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        CloudNodeHost.TryDelete(Path.GetDirectoryName(TokensFile)!);
    }
}
