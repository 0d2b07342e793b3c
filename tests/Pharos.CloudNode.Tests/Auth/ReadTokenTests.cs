namespace Pharos.CloudNode.Tests.Auth;

public sealed class ReadTokenTests
{
    [Fact]
    public async Task With_PHAROS_REQUIRE_READ_TOKEN_reads_need_the_read_scope_and_health_stays_public()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_REQUIRE_READ_TOKEN"] = "true",
            ["PHAROS_TOKENS_FILE"] = TokensFile.Write(),
        });

        foreach (var route in new[] { "/jobs", "/jobs/some-id", "/worker/status", "/api/v1/ingestion/worker/status", "/api/v1/ingestion/jobs/history",
                     "/repos", "/repos/embeddings?repo_url=https://github.com/o/r", "/repos/graph?repo_url=https://github.com/o/r",
                     "/repos/similar?repo_url=https://github.com/o/r&path=a.py" })
        {
            var anonymous = await host.Client.GetAsync(route);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.StartsWith("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
            var reader = await host.Client.SendAsync(host.Request(HttpMethod.Get, route, TokensFile.ReadOnlyToken));
            Assert.NotEqual(HttpStatusCode.Unauthorized, reader.StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, reader.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/ready")).StatusCode);
        Assert.True(host.AuthFailures.TotalFailures >= 5);
    }
}
