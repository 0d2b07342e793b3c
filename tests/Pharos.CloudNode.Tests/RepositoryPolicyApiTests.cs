using System.Net.Http.Json;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Pharos.Actors.Hosting;
using Pharos.CloudNode.Auth;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;
using Pharos.Testing.Net;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// `POST /ingest` against the repository rules that need a node: names that do not resolve or resolve inside (a
/// resolver the test controls), ports outside the allow-list, and a token's grant of private repositories, which the
/// task keeps in the journal.
/// </summary>
public sealed class RepositoryPolicyApiTests
{
    private const string PrivateToken = "private-repos-token-0123456789abc";
    private const string PublicToken = "public-repos-token-0123456789abcd";

    private static async Task<string> RefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_or_resolves_inside_is_refused_400_and_nothing_is_queued()
    {
        var dns = new TestDns().Unresolvable("gitlab.com").Map("bitbucket.org", IPAddress.Parse("203.0.113.7"), IPAddress.Parse("10.0.0.5"));
        await using var host = await CloudNodeHost.StartAsync(dns: dns.Resolver);

        Assert.Equal("host 'gitlab.com' could not be resolved; try again later",
            await RefusedAsync(await host.IngestAsync("https://gitlab.com/pharos/sample")));
        Assert.Equal("host resolves to a private or loopback address",
            await RefusedAsync(await host.IngestAsync("https://bitbucket.org/pharos/sample")));
        // The original path form goes through the same rule.
        Assert.Equal("host 'gitlab.com' could not be resolved; try again later",
            await RefusedAsync(await host.Client.SendAsync(host.Request(HttpMethod.Post, "/api/v1/ingestion/ingest/gitlab.com/pharos/other"))));
        Assert.Equal(0, await host.JobCountAsync());

        Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync("https://github.com/pharos/sample")).StatusCode);
        Assert.Equal(1, await host.JobCountAsync());
    }

    [Fact]
    public async Task A_port_outside_the_allow_list_is_refused_and_a_listed_one_is_kept()
    {
        await using (var strict = await CloudNodeHost.StartAsync())
        {
            Assert.Equal("port 8443 is not allowed; https allows 443",
                await RefusedAsync(await strict.IngestAsync("https://github.com:8443/pharos/sample")));
            var normal = await (await strict.IngestAsync("https://github.com:443/pharos/sample")).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("https://github.com/pharos/sample", normal.GetProperty("repo_url").GetString());
        }

        await using var listed = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["PHAROS_ALLOWED_PORTS"] = "8443" });
        var accepted = await listed.IngestAsync("https://github.com:8443/pharos/sample");
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("https://github.com:8443/pharos/sample",
            (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("repo_url").GetString());
        Assert.Equal("port 22 is not allowed; https allows 443, 8443",
            await RefusedAsync(await listed.IngestAsync("https://github.com:22/pharos/sample")));
    }

    /// <summary>
    /// A token with <c>"private_repos": true</c> makes tasks that carry the grant; one without it, and the tokens that
    /// leave it out, tasks that do not. The grant is journalled: the node restarted over the same journal still has it.
    /// It is not shown in the job's answer.
    /// </summary>
    [Fact]
    public async Task The_tokens_private_repository_grant_goes_with_its_tasks_through_the_journal()
    {
        var dataDir = CloudNodeHost.NewDataDir();
        var tokens = Path.Combine(dataDir, "tokens.json");
        File.WriteAllText(tokens, JsonSerializer.Serialize(new object[]
        {
            new { name = "private-ci", sha256 = TokenHash.Sha256Hex(PrivateToken), scopes = new[] { "ingest", "read" }, private_repos = true },
            new { name = "public-ci", sha256 = TokenHash.Sha256Hex(PublicToken), scopes = new[] { "ingest", "read" } },
        }));
        var settings = new Dictionary<string, string?> { ["PHAROS_TOKENS_FILE"] = tokens };
        try
        {
            string granted, plain;
            await using (var first = await CloudNodeHost.StartAsync(settings, dataDir))
            {
                granted = await SubmitAsync(first, "https://github.com/pharos/private", PrivateToken);
                plain = await SubmitAsync(first, "https://github.com/pharos/public", PublicToken);
                Assert.Equal((true, false), (await JobAsync(first, granted), await JobAsync(first, plain)));
                var shown = await first.JsonAsync($"/jobs/{granted}");
                Assert.False(shown.TryGetProperty("private_repos", out _), "the job's answer shows the grant");
            }

            await using var second = await CloudNodeHost.StartAsync(settings, dataDir);
            Assert.Equal((true, false), (await JobAsync(second, granted), await JobAsync(second, plain)));
        }
        finally
        {
            CloudNodeHost.TryDelete(dataDir);
        }
    }

    private static async Task<string> SubmitAsync(CloudNodeHost host, string repo, string token)
    {
        var response = await host.IngestAsync(repo, token: token);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!;
    }

    /// <summary>The grant as the queue holds it (the job record the worker's task is made from).</summary>
    private static async Task<bool> JobAsync(CloudNodeHost host, string taskId)
    {
        var queue = host.Services.GetRequiredService<ActorRegistry>().Get<QueueProxy>();
        var lookup = await queue.Ask<JobLookup>(new GetJob(taskId), TimeSpan.FromSeconds(10));
        return Assert.IsType<JobRecord>(lookup.Job).PrivateRepos;
    }
}
