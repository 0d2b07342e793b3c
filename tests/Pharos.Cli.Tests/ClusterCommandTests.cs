using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace Pharos.Cli.Tests;

/// <summary>`pharos cluster ...` against the cloud's cluster routes.</summary>
public sealed class ClusterCommandTests(QueueNode node) : IClassFixture<QueueNode>
{
    [Fact]
    public async Task Show_prints_one_line_per_member_with_leader_and_self_then_the_count()
    {
        var self = Cluster.Get(node.Host.ActorSystem).SelfAddress.ToString();
        var (exit, output, error) = await node.Run("cluster", "show");
        Assert.True(exit == 0, error);
        Assert.Equal($"{self} | [cloud] | up (leader) (self)\nCount: 1 node\n", output.ReplaceLineEndings("\n"));

        (exit, output, _) = await node.Run("cluster", "show", "--json");
        Assert.Equal(0, exit);
        Assert.Equal(self, System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("self").GetString());
    }

    [Theory]
    [InlineData("cluster leave akka.tcp://pharos@127.0.0.1:1", "pharos: not found: akka.tcp://pharos@127.0.0.1:1 is not a member of this cluster")]
    [InlineData("cluster down akka.tcp://pharos@127.0.0.1:1", "pharos: not found: akka.tcp://pharos@127.0.0.1:1 is not a member of this cluster")]
    [InlineData("cluster down not-an-address", "pharos: refused: 'not-an-address' is not an address like akka.tcp://pharos@host:port.")]
    public async Task Leave_and_down_refusals_are_one_line(string command, string message)
    {
        var (exit, output, error) = await node.Run(command.Split(' '));
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_cluster_commands_need_the_admin_scope()
    {
        var (exit, _, error) = await CliRunner.RunAsync("cluster", "show", "--url", node.Url, "--token", TokensFile.IngestToken);
        Assert.Equal(1, exit);
        Assert.StartsWith("pharos: the token is not allowed to do this: ", error);
    }

    [Fact]
    public async Task Down_unreachable_with_every_member_reachable_downs_nothing()
    {
        var (exit, output, error) = await node.Run("cluster", "down-unreachable");
        Assert.True(exit == 0, error);
        Assert.Equal("No unreachable members.", output.Trim());
    }

    [Fact]
    public async Task An_older_node_or_another_server_without_the_route_is_one_clear_line()
    {
        var (exit, _, error) = await CliRunner.RunAsync("cluster", "show", "--url", node.Url + "/not-pharos", "--token", CloudNodeHost.AdminToken);
        Assert.Equal(1, exit);
        Assert.Equal($"pharos: the Pharos cloud at {node.Url}/not-pharos has no route GET /cluster/members (is it an older version?)", error.Trim());
    }
}

/// <summary>An edge that joins, is tailed, shown, then dies and is downed by `down-unreachable`.</summary>
public sealed class ClusterMembershipCommandTests
{
    /// <summary>An edge member whose Terminate leaves no goodbye: to the cloud it simply stops answering.</summary>
    private static ActorSystem StartEdge(string seed) => ActorSystem.Create("pharos", ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.roles = [edge]
        akka.cluster.seed-nodes = ["{{seed}}"]
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.coordinated-shutdown.exit-clr = off
        akka.loglevel = WARNING
        """));

    [Fact]
    public async Task Tail_show_and_down_unreachable_follow_an_edge_from_joining_to_downed()
    {
        // The split brain resolver waits long here, so that the command is what downs the edge.
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["PHAROS_DOWN_AFTER_SECONDS"] = "120" });
        var url = host.Client.BaseAddress!.ToString().TrimEnd('/');
        Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
            CliRunner.RunAsync([.. args, "--url", url, "--token", CloudNodeHost.AdminToken]);

        using var tailOutput = new SyncWriter();
        using var tailError = new StringWriter();
        using var stopTail = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var tail = PharosCommand.RunAsync(["cluster", "tail", "--url", url, "--token", CloudNodeHost.AdminToken], tailOutput, tailError, stopTail.Token);
        await WaitUntilAsync(() => tailError.ToString().Contains("following the cluster"));

        var edge = StartEdge(Cluster.Get(host.ActorSystem).SelfAddress.ToString());
        try
        {
            var edgeAddress = Cluster.Get(edge).SelfAddress.ToString();
            await WaitUntilAsync(() => tailOutput.ToString().Contains($"member_up    {edgeAddress} [edge]"));

            var (exit, output, _) = await Run("cluster", "show");
            Assert.Equal(0, exit);
            // The leader is the lowest address of the reachable members: the edge, when its port is the lower one.
            Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(edgeAddress)} \| \[edge\] \| up( \(leader\))?\n", output.ReplaceLineEndings("\n"));
            Assert.EndsWith("Count: 2 nodes\n", output.ReplaceLineEndings("\n"));

            await edge.Terminate(); // no leave: the cloud marks it unreachable after its heartbeat pause
            await WaitUntilAsync(async () => (await Run("cluster", "show")).Out.Contains($"{edgeAddress} | [edge] | up (unreachable)"));
            await WaitUntilAsync(() => tailOutput.ToString().Contains($"unreachable  {edgeAddress}"));

            (exit, output, _) = await Run("cluster", "down-unreachable");
            Assert.Equal(0, exit);
            Assert.Equal($"Marked {edgeAddress} down.\nDowned 1 of 1 unreachable member.\n", output.ReplaceLineEndings("\n"));
            await WaitUntilAsync(async () => (await Run("cluster", "show")).Out.Contains("Count: 1 node\n"));
        }
        finally
        {
            await edge.Terminate();
            await stopTail.CancelAsync();
        }
        Assert.Equal(0, await tail);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the condition did not hold within 30 s");
            await Task.Delay(100);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    /// <summary>A StringWriter that the test reads while the command writes to it.</summary>
    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _lock = new();
        public override void Write(char value) { lock (_lock) base.Write(value); }
        public override void Write(string? value) { lock (_lock) base.Write(value); }
        public override void WriteLine(string? value) { lock (_lock) base.WriteLine(value); }
        public override string ToString() { lock (_lock) return base.ToString(); }
    }
}
