using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Pharos.Api.Contracts;
using Pharos.Messages.Commands;
using Pharos.Testing.Waiting;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// A member of the cluster that is not a cloud node (an edge, or whatever joined as one) speaking to the queue
/// directly, past the HTTP door: what it sends is refused and logged, whether it names a sender or not.
/// </summary>
public sealed class RogueMemberTests
{
    /// <summary>An edge-role member that speaks the Pharos protocol (the Pharos serializer for Pharos messages).</summary>
    private static ActorSystem StartRogue(string seed) => ActorSystem.Create("pharos", ConfigurationFactory.ParseString($$"""
        akka.actor.provider = cluster
        akka.actor.serializers.pharos = "Pharos.Messages.Serialization.PharosSerializer, Pharos.Messages"
        akka.actor.serialization-bindings { "Pharos.Messages.IPharosMessage, Pharos.Messages" = pharos }
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.cluster.roles = [edge]
        akka.cluster.seed-nodes = ["{{seed}}"]
        akka.coordinated-shutdown.exit-clr = off
        akka.loglevel = WARNING
        """));

    private static async Task<JsonElement> AdminJsonAsync(CloudNodeHost host, string path)
    {
        var response = await host.Client.SendAsync(host.Request(HttpMethod.Get, path));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Tasks_and_cancels_sent_to_the_queue_by_an_edge_member_are_refused_and_logged()
    {
        await using var host = await CloudNodeHost.StartAsync();
        var cloud = Cluster.Get(host.ActorSystem).SelfAddress;
        var rogue = StartRogue(cloud.ToString());
        try
        {
            var rogueAddress = Cluster.Get(rogue).SelfAddress;
            await Poll.UntilAsync(async () => (await AdminJsonAsync(host, "/cluster/members")).GetProperty("members").EnumerateArray()
                .Any(m => m.GetProperty("address").GetString() == rogueAddress.ToString() && m.GetProperty("status").GetString() == "up"),
                "the rogue member to be up");

            // A real job to cancel, accepted through the HTTP door.
            var accepted = await host.IngestAsync("https://github.com/owner/accepted");
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
            var id = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString()!;

            var queue = rogue.ActorSelection($"{cloud}/user/pharos-queue/pharos-queue");
            var replies = rogue.ActorOf(Props.Empty, "rogue-replies");
            queue.Tell(new EnqueueTask("https://github.com/rogue/with-sender", Priority.High, "rogue"), replies);
            queue.Tell(new EnqueueTask("https://github.com/rogue/anonymous", Priority.High, "rogue"), ActorRefs.NoSender);
            queue.Tell(new CancelJob(id, "rogue"), replies);

            await Poll.UntilAsync(() => host.Logs.Lines.Count(l => l.Message.Contains("which is not a cloud node")) >= 3,
                "the queue to log the three refusals");
            var refusals = host.Logs.Lines.Where(l => l.Message.Contains("which is not a cloud node")).Select(l => l.Message).ToList();
            Assert.Equal(2, refusals.Count(r => r.Contains("Ignored a EnqueueTask")));
            Assert.Single(refusals, r => r.Contains("Ignored a CancelJob") && r.Contains(rogueAddress.ToString()));

            // Nothing of it reached the queue: one job, the accepted one, still queued.
            var jobs = (await AdminJsonAsync(host, "/jobs?limit=100")).GetProperty("jobs").EnumerateArray().ToList();
            var job = Assert.Single(jobs);
            Assert.Equal(((string?)id, (string?)"queued"), (job.GetProperty("task_id").GetString(), job.GetProperty("status").GetString()));
        }
        finally
        {
            await rogue.Terminate();
        }
    }
}
