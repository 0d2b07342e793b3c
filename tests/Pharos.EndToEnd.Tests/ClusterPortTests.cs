using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Pharos.Actors.Ingest;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// The cluster port of real node processes: closed by default beyond loopback (a node without mutual TLS refuses to
/// start unless PHAROS_CLUSTER_INSECURE=true, which it then says), and reading only Pharos and Akka messages (a
/// Newtonsoft `$type` payload from a stranger is dropped and logged). The listening address 0.0.0.0 is the usual
/// mistake; the node under test only ever connects to itself, through loopback.
/// </summary>
public sealed class ClusterPortTests(ITestOutputHelper output) : BedTest(output)
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(60);

    private async Task<NodeProcess> StartNodeAsync(string kind, Dictionary<string, string?> settings)
    {
        if (kind == "edge")
        {
            var dir = TempDirectories.Create("pharos-e2e-edge-");
            var env = CloudProcess.CommonSettings();
            env["PHAROS_DATA_DIR"] = dir;
            env["PHAROS_CLUSTER_PORT"] = "0";
            foreach (var (key, value) in settings) env[key] = value;
            var node = NodeProcess.Start("edge", "Pharos.EdgeNode", env, [], dir, [dir]);
            return Bed.Own(node, node);
        }
        var arguments = kind == "standalone" ? new[] { "--standalone" } : [];
        return (await Bed.StartCloudAsync(settings, arguments, waitReady: false, name: kind)).Node;
    }

    [Theory]
    [InlineData("cloud")]
    [InlineData("standalone")]
    [InlineData("edge")]
    public async Task A_node_beyond_loopback_without_tls_exits_2_with_one_line_naming_PHAROS_TLS_CERT(string kind)
    {
        var node = await StartNodeAsync(kind, new() { ["PHAROS_CLUSTER_HOST"] = "0.0.0.0" });

        await node.WaitForExitAsync(ExitDeadline);

        Assert.True(node.ExitCode == 2, $"{node.ExitDescription}\n{node.Describe()}");
        var who = kind == "edge" ? "edge" : "cloud";
        var line = Assert.Single(node.Log.LinesSince(), l => l.Contains("PHAROS_TLS_CERT", StringComparison.Ordinal));
        Assert.StartsWith($"err| pharos {who}: PHAROS_CLUSTER_HOST is 0.0.0.0, not a loopback address", line);
        Assert.Contains("PHAROS_TLS_CA", line);
        Assert.Contains("PHAROS_CLUSTER_INSECURE=true", line);
        Assert.False(node.Log.Contains("listens on addresses"), node.Describe());
    }

    [Fact]
    public async Task With_PHAROS_CLUSTER_INSECURE_it_starts_warns_and_says_so_in_cluster_members()
    {
        var cloud = await Bed.StartCloudAsync(new Dictionary<string, string?>
        {
            ["PHAROS_CLUSTER_HOST"] = "0.0.0.0",
            ["PHAROS_CLUSTER_INSECURE"] = "true",
        });

        Assert.Contains(cloud.Node.Log.LinesSince(), l => l.Contains("warn", StringComparison.OrdinalIgnoreCase)
            && l.Contains("PHAROS_CLUSTER_INSECURE=true: the cluster port listens on 0.0.0.0 without mutual TLS", StringComparison.Ordinal));
        var members = await cloud.GetJsonAsync("/cluster/members");
        Assert.True(members.GetProperty("insecure").GetBoolean(), members.GetRawText());
        Assert.StartsWith("akka.tcp://pharos@0.0.0.0:", members.Str("self"));
        Assert.Equal("up", Assert.Single(members.Array("members")).Str("status"));
    }

    [Fact]
    public async Task A_newtonsoft_payload_from_a_stranger_is_dropped_and_logged_and_never_answered()
    {
        var cloud = await Bed.StartCloudAsync();
        // A stock Akka.NET system (SubmitIngest has no binding there, so it goes out as Newtonsoft JSON with `$type`),
        // which reads the Pharos serializer's answers.
        var stranger = ActorSystem.Create("stranger", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.actor.serializers.pharos = "Pharos.Messages.Serialization.PharosSerializer, Pharos.Messages"
            akka.actor.serialization-bindings { "Pharos.Messages.IPharosMessage, Pharos.Messages" = pharos }
            """));
        var received = Channel.CreateUnbounded<object>();
        try
        {
            // Read, the gateway would answer this at once: 403, the caller holds no scope.
            var submit = new SubmitIngest(new Caller("stranger", ApiScope.None), "git://127.0.0.1/stranger.git", Priority.High);
            Assert.Equal(1, stranger.Serialization.FindSerializerFor(submit).Identifier);
            var inbox = stranger.ActorOf(Props.Create(() => new Inbox(received.Writer)), "inbox");
            var selection = stranger.ActorSelection($"{cloud.Address}/user/ingest-gateway");
            var gateway = await selection.ResolveOne(TimeSpan.FromSeconds(30));

            gateway.Tell(submit, inbox);
            // The same connections, in order both ways: the gateway's answer to the payload would come before this one.
            selection.Tell(new Identify("after the payload"), inbox);

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var answers = new List<object>();
            while (answers.LastOrDefault() is not ActorIdentity) answers.Add(await received.Reader.ReadAsync(timeout.Token));
            Assert.Equal(["after the payload"], answers.Select(a => a is ActorIdentity identity ? identity.MessageId : a));
        }
        finally
        {
            await stranger.Terminate();
        }

        Assert.Contains(cloud.Node.Log.LinesSince(), l => l.Contains("Deserialization failed for message with serializer id [1]", StringComparison.Ordinal)
                                                           && l.Contains("Refused a payload of Akka's Newtonsoft JSON serializer", StringComparison.Ordinal));
    }

    private sealed class Inbox : ReceiveActor
    {
        public Inbox(ChannelWriter<object> received) => ReceiveAny(message => received.TryWrite(message));
    }
}
