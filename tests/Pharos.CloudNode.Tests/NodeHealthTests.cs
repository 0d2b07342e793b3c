using Akka.Actor;
using Akka.Cluster;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pharos.Actors.Queue;
using Pharos.CloudNode.Health;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Tests;

/// <summary>The readiness checks on their own, against a probe standing in for the queue.</summary>
public sealed class NodeHealthCheckTests : TestKit
{
    [Fact]
    public async Task The_queue_check_passes_when_the_queue_answers()
    {
        var queue = CreateTestProbe();
        var check = NodeHealth.QueueAnswersAsync(queue, CancellationToken.None);
        await queue.ExpectMsgAsync<GetQueueStatus>();
        queue.Reply(new QueueStatus(3, 1, 10));
        var result = await check;
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("3 pending", result.Description);
    }

    [Fact]
    public async Task The_queue_check_fails_when_the_back_off_supervisor_answers_for_a_stopped_queue()
    {
        var queue = CreateTestProbe();
        var check = NodeHealth.QueueAnswersAsync(queue, CancellationToken.None);
        await queue.ExpectMsgAsync<GetQueueStatus>();
        queue.Reply(new Status.Failure(new QueueUnavailableException()));
        var result = await check;
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(new QueueUnavailableException().Message, result.Description);
    }

    [Fact]
    public async Task The_queue_check_fails_when_the_queue_is_silent()
    {
        var result = await NodeHealth.QueueAnswersAsync(CreateTestProbe(), CancellationToken.None);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("did not answer", result.Description);
    }

    [Property]
    public Property The_cluster_check_passes_only_for_an_up_member() =>
        Prop.ForAll(Gen.Elements(Enum.GetValues<MemberStatus>()).ToArbitrary(), status =>
            (NodeHealth.MemberUp(status).Status == HealthStatus.Healthy) == (status == MemberStatus.Up));
}

/// <summary>`GET /healthz` and `GET /ready` of a real node.</summary>
public sealed class NodeHealthTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    [Fact]
    public async Task Liveness_is_the_actor_system_running()
    {
        var live = await node.Host.JsonAsync("/healthz");
        Assert.Equal("ok", live.GetProperty("status").GetString());
        var checks = live.GetProperty("checks").EnumerateObject().ToList();
        // Liveness asks nothing of the cluster or the journal: a node waiting for its store is alive.
        Assert.Single(checks);
        Assert.Equal("healthy", checks[0].Value.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readiness_names_its_checks_and_says_each_one_passed()
    {
        var response = await node.Host.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var ready = await node.Host.JsonAsync("/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("cluster_up").GetBoolean());
        Assert.True(ready.GetProperty("journal_reachable").GetBoolean());
        foreach (var name in new[] { "cluster", "queue" })
        {
            var check = ready.GetProperty("checks").GetProperty(name);
            Assert.Equal("healthy", check.GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(check.GetProperty("detail").GetString()));
        }
        // The embedded journal has no check of its own: the queue's answer is it.
        Assert.False(ready.GetProperty("checks").TryGetProperty("redis-persistence", out _));
    }

    [Fact]
    public async Task The_original_pharos_health_route_reports_the_journal_as_its_redis_service_and_the_cluster()
    {
        var response = await node.Host.Client.GetAsync(NodeHealth.LegacyHealthRoute);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("healthy", health.GetProperty("services").GetProperty("redis").GetString());
        Assert.Equal("healthy", health.GetProperty("services").GetProperty("cluster").GetString());
    }

    [Fact]
    public async Task The_api_description_has_the_health_routes()
    {
        var paths = (await node.Host.JsonAsync("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/healthz", "/ready", NodeHealth.LegacyHealthRoute })
        {
            var responses = paths.GetProperty(path).GetProperty("get").GetProperty("responses");
            Assert.True(responses.TryGetProperty("200", out _));
            Assert.True(responses.TryGetProperty("503", out _));
        }
    }
}
