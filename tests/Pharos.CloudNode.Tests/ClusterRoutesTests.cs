using System.Net.Http.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace Pharos.CloudNode.Tests;

public sealed class ClusterRoutesTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;

    private async Task<HttpResponseMessage> PostAsync(string path, string body, string? token = CloudNodeHost.AdminToken)
    {
        var request = Host.Request(HttpMethod.Post, path, token);
        request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        return await Host.Client.SendAsync(request);
    }

    [Fact]
    public async Task Members_of_a_one_node_cluster_is_the_node_itself_up_with_the_cloud_role()
    {
        var response = await Host.Client.SendAsync(Host.Request(HttpMethod.Get, "/cluster/members"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        var self = Cluster.Get(Host.ActorSystem).SelfAddress.ToString();
        Assert.StartsWith("akka.tcp://pharos@127.0.0.1:", self);
        Assert.Equal(self, body.GetProperty("self").GetString());
        Assert.Equal(self, body.GetProperty("leader").GetString());
        var member = Assert.Single(body.GetProperty("members").EnumerateArray());
        Assert.Equal(self, member.GetProperty("address").GetString());
        Assert.Equal(["cloud"], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("reachable").GetBoolean());
        Assert.Equal(1, member.GetProperty("up_number").GetInt32());
        Assert.Equal(0, body.GetProperty("unreachable").GetArrayLength());
        // On loopback the cluster port needs no TLS and is not insecure.
        Assert.False(body.GetProperty("insecure").GetBoolean());
    }

    [Theory]
    [InlineData("GET", "/cluster/members")]
    [InlineData("GET", "/cluster/events")]
    [InlineData("POST", "/cluster/leave")]
    [InlineData("POST", "/cluster/down")]
    public async Task Cluster_routes_need_the_admin_scope(string method, string path)
    {
        var anonymous = await Host.Client.SendAsync(Host.Request(new HttpMethod(method), path, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.StartsWith("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        foreach (var token in new[] { TokensFile.ReadOnlyToken, TokensFile.IngestToken })
        {
            var response = await Host.Client.SendAsync(Host.Request(new HttpMethod(method), path, token));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("/cluster/leave")]
    [InlineData("/cluster/down")]
    public async Task Leave_and_down_of_an_address_that_is_no_member_is_404(string path)
    {
        var response = await PostAsync(path, """{"address": "akka.tcp://pharos@127.0.0.1:1"}""");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        // The node itself is still there.
        Assert.Equal(MemberStatus.Up, Cluster.Get(Host.ActorSystem).SelfMember.Status);
    }

    [Theory]
    [InlineData("/cluster/down", """{"address": "not an address"}""")]
    [InlineData("/cluster/down", """{"address": "akka.tcp://other-system@127.0.0.1:4053"}""")]
    [InlineData("/cluster/down", """{"address": "http://127.0.0.1:4053"}""")]
    [InlineData("/cluster/down", """{"address": "akka.tcp://pharos@127.0.0.1"}""")]
    [InlineData("/cluster/leave", """{"address": 4053}""")]
    [InlineData("/cluster/leave", """{"addr": "akka.tcp://pharos@127.0.0.1:4053"}""")]
    [InlineData("/cluster/leave", "not json")]
    [InlineData("/cluster/leave", "")]
    public async Task A_malformed_address_is_400(string path, string body)
    {
        var response = await PostAsync(path, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void An_address_must_have_the_scheme_of_this_nodes_members()
    {
        static byte[] Body(string address) => System.Text.Encoding.UTF8.GetBytes($$"""{"address": "{{address}}"}""");
        var (address, _) = Api.ClusterEndpoints.ParseAddress(Body("akka.ssl.tcp://pharos@10.0.0.7:4053"), "akka.ssl.tcp");
        Assert.Equal("akka.ssl.tcp://pharos@10.0.0.7:4053", address?.ToString());
        var (none, error) = Api.ClusterEndpoints.ParseAddress(Body("akka.tcp://pharos@10.0.0.7:4053"), "akka.ssl.tcp");
        Assert.Null(none);
        Assert.Contains("is not an address like akka.ssl.tcp://pharos@host:port", error);
    }
}

public sealed class ClusterMembershipTests
{
    private static ActorSystem StartEdge(string seed) => ActorSystem.Create("pharos", ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.roles = [edge]
        akka.cluster.seed-nodes = ["{{seed}}"]
        akka.coordinated-shutdown.exit-clr = off
        akka.loglevel = WARNING
        """));

    private static async Task<JsonElement> MembersAsync(CloudNodeHost host)
    {
        var response = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/cluster/members"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static JsonElement? Member(JsonElement members, string address) =>
        members.GetProperty("members").EnumerateArray()
            .Select(m => (JsonElement?)m)
            .FirstOrDefault(m => m!.Value.GetProperty("address").GetString() == address);

    [Fact]
    public async Task An_edge_that_joins_is_listed_and_streamed_and_down_removes_it()
    {
        await using var host = await CloudNodeHost.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var stream = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/cluster/events"),
            HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var events = new SseReader(await stream.Content.ReadAsStreamAsync(timeout.Token));

        var edge = StartEdge(Cluster.Get(host.ActorSystem).SelfAddress.ToString());
        try
        {
            var edgeAddress = Cluster.Get(edge).SelfAddress.ToString();

            var up = await NextEventAsync(events, "member_up", edgeAddress, timeout.Token);
            Assert.Equal(["edge"], up.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            Assert.True(up.GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));

            var listed = Member(await MembersAsync(host), edgeAddress);
            Assert.NotNull(listed);
            Assert.Equal("up", listed.Value.GetProperty("status").GetString());
            Assert.Equal(["edge"], listed.Value.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal(2, listed.Value.GetProperty("up_number").GetInt32());

            var down = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/cluster/down", json: new { address = edgeAddress }));
            Assert.Equal(HttpStatusCode.Accepted, down.StatusCode);
            var accepted = await down.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal((edgeAddress, "down"), (accepted.GetProperty("address").GetString(), accepted.GetProperty("action").GetString()));

            // A downed member is removed once the failure detector finds it gone (about 8 s here).
            await NextEventAsync(events, "member_removed", edgeAddress, timeout.Token);
            while (Member(await MembersAsync(host), edgeAddress) is not null) await Task.Delay(50, timeout.Token);
            Assert.Single((await MembersAsync(host)).GetProperty("members").EnumerateArray());
        }
        finally
        {
            await edge.Terminate();
        }
    }

    private static async Task<JsonElement> NextEventAsync(SseReader events, string type, string address, CancellationToken cancellation)
    {
        while (true)
        {
            var (name, data) = await events.NextAsync(cancellation);
            Assert.Equal("member", name);
            if (data.GetProperty("type").GetString() == type && data.GetProperty("address").GetString() == address) return data;
        }
    }
}
