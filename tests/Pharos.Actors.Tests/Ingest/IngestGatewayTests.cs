using System.Net;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using FsCheck;
using Pharos.Actors.Ingest;
using Pharos.Messages.Queries;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Tests.Ingest;

/// <summary>
/// The gateway between a TestProbe as the queue (the real protocol boundary: the queue is a cluster singleton) and a
/// probe as the mediator. Every refusal is answered by the gateway itself with the queue hearing nothing; an accepted
/// request reaches the queue exactly once, with the client as its sender.
/// </summary>
public sealed class IngestGatewayTests : TestKit
{
    // SubmitIngest has no manifest on purpose (it never leaves the node): nothing here may need to serialize it.
    public IngestGatewayTests() : base("akka.actor.serialize-messages = off")
    {
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 8, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(T0);

    // github.com resolving to a public address: the DNS rule passes without a network.
    private static readonly RepoUrlValidator Validator =
        new(RepoUrlPolicy.Default, (_, _) => Task.FromResult(new[] { IPAddress.Parse("140.82.112.3") }));

    private static readonly Caller Ingester = new("ci", ApiScope.Ingest);
    private const string GoodUrl = "https://GitHub.com/pharos/sample.git/";
    private const string NormalUrl = "https://github.com/pharos/sample";

    private (IActorRef Gateway, TestProbe Queue) Start(RepoUrlValidator? validator = null)
    {
        var queue = CreateTestProbe();
        var mediator = CreateTestProbe();
        var gateway = Sys.ActorOf(IngestGateway.Props(validator ?? Validator, queue.Ref, mediator.Ref, _clock));
        mediator.ExpectMsg<Subscribe>(s => s.Topic == Topics.QueueDepth && s.Ref.Equals(gateway));
        return (gateway, queue);
    }

    private static QueueDepthChanged Full(int max = 10, double expiresInSeconds = 30) =>
        new(max, 0, max, T0.AddSeconds(expiresInSeconds));

    private IngestRefused Refused(IActorRef gateway, TestProbe queue, SubmitIngest request)
    {
        gateway.Tell(request, TestActor);
        var refused = ExpectMsg<IngestRefused>();
        // The probe's dispatcher runs on the sender's thread: a Tell to the queue before the reply would be here now.
        Assert.False(queue.HasMessages, "the queue heard of a refused request");
        return refused;
    }

    [Theory]
    [InlineData(ApiScope.None)]
    [InlineData(ApiScope.Read)]
    public void A_caller_without_the_ingest_scope_is_refused_403_and_the_queue_hears_nothing(ApiScope scopes)
    {
        var (gateway, queue) = Start();
        var refused = Refused(gateway, queue, new SubmitIngest(new Caller("dashboard", scopes), GoodUrl, Priority.Normal));
        Assert.Equal(IngestRefusal.Forbidden, refused.Reason);
        Assert.Equal("The token 'dashboard' lacks the 'ingest' scope.", refused.Detail);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData("https://10.0.0.1/a/b")]
    [InlineData("https://example.org/a/b")]
    [InlineData("file:///etc/passwd")]
    [InlineData("https://github.com/a/b;rm -rf /")]
    [InlineData("")]
    public void A_bad_url_is_refused_400_with_the_validators_reason_and_the_queue_hears_nothing(string url)
    {
        var (gateway, queue) = Start();
        var refused = Refused(gateway, queue, new SubmitIngest(Ingester, url, Priority.Normal));
        Assert.Equal(IngestRefusal.InvalidRequest, refused.Reason);
        Assert.Equal(Validator.CheckSyntax(url).Error, refused.Detail);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_is_refused_400_saying_so_and_the_queue_hears_nothing()
    {
        var lookup = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (gateway, queue) = Start(new RepoUrlValidator(RepoUrlPolicy.Default, (_, _) => lookup.Task));
        gateway.Tell(new SubmitIngest(Ingester, GoodUrl, Priority.Normal), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        lookup.SetException(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));

        var refused = await ExpectMsgAsync<IngestRefused>();
        Assert.Equal(IngestRefusal.InvalidRequest, refused.Reason);
        Assert.Equal("host 'github.com' could not be resolved; try again later", refused.Detail);
        Assert.False(queue.HasMessages);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_callers_private_repository_grant_goes_to_the_queue_with_the_task(bool granted)
    {
        var (gateway, queue) = Start();
        gateway.Tell(new SubmitIngest(new Caller("ci", ApiScope.Ingest, PrivateRepos: granted), GoodUrl, Priority.Normal), TestActor);
        Assert.Equal(new EnqueueTask(NormalUrl, Priority.Normal, "ci", PrivateRepos: granted), queue.ExpectMsg<EnqueueTask>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(5)]
    public void The_callers_share_of_the_queue_goes_to_the_queue_which_alone_counts_its_tasks(int? share)
    {
        var (gateway, queue) = Start();
        gateway.Tell(new SubmitIngest(new Caller("ci", ApiScope.Ingest, MaxQueued: share), GoodUrl, Priority.Normal), TestActor);
        Assert.Equal(new EnqueueTask(NormalUrl, Priority.Normal, "ci", MaxQueued: share), queue.ExpectMsg<EnqueueTask>());
    }

    [Fact]
    public async Task A_host_that_resolves_inside_is_refused_after_the_lookup_completes()
    {
        // The lookup finishes after Submit returns, so the verdict comes back to the gateway as a message.
        var lookup = new TaskCompletionSource<IPAddress[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (gateway, queue) = Start(new RepoUrlValidator(RepoUrlPolicy.Default, (_, _) => lookup.Task));
        gateway.Tell(new SubmitIngest(Ingester, GoodUrl, Priority.Normal), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        lookup.SetResult([IPAddress.Parse("10.1.2.3")]);

        var refused = await ExpectMsgAsync<IngestRefused>();
        Assert.Equal(IngestRefusal.InvalidRequest, refused.Reason);
        Assert.Equal("host resolves to a private or loopback address", refused.Detail);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void A_full_queue_is_refused_429_with_retry_after_and_the_queue_hears_nothing()
    {
        var (gateway, queue) = Start();
        gateway.Tell(Full(max: 10, expiresInSeconds: 30)); // as DistributedPubSub delivers the queue's publication
        var refused = Refused(gateway, queue, new SubmitIngest(Ingester, GoodUrl, Priority.High));
        Assert.Equal(IngestRefusal.QueueFull, refused.Reason);
        Assert.Equal("The queue holds its maximum of 10 tasks; try again later.", refused.Detail);
        Assert.Equal(30, refused.RetryAfterSeconds);
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_accepted_request_reaches_the_queue_once_with_the_client_as_sender_and_the_callers_name()
    {
        var (gateway, queue) = Start();
        gateway.Tell(new SubmitIngest(Ingester, GoodUrl, Priority.High), TestActor);

        var enqueue = queue.ExpectMsg<EnqueueTask>();
        Assert.Equal(new EnqueueTask(NormalUrl, Priority.High, "ci"), enqueue);
        Assert.Equal(TestActor, queue.Sender);
        var accepted = new IngestAccepted("task-1", NormalUrl, Priority.High, 1, 1, 10, T0, T0.AddDays(1));
        queue.Reply(accepted);
        Assert.Equal(accepted, ExpectMsg<IngestAccepted>());
        queue.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Admin_grants_ingest_and_a_queue_of_expired_tasks_is_not_full()
    {
        var (gateway, queue) = Start();
        // Every pending task has expired: the queue sweeps them on the next admission, so this one goes through.
        gateway.Tell(Full(expiresInSeconds: -1));
        gateway.Tell(new SubmitIngest(new Caller("admin", ApiScope.Admin), GoodUrl, Priority.Low), TestActor);
        Assert.Equal(new EnqueueTask(NormalUrl, Priority.Low, "admin"), queue.ExpectMsg<EnqueueTask>());
    }

    [Fact]
    public void Before_the_first_publication_the_gateway_asks_the_queue_for_its_depth_once_subscribed()
    {
        var (gateway, queue) = Start();
        gateway.Tell(new SubscribeAck(new Subscribe(Topics.QueueDepth, gateway)));
        queue.ExpectMsg<GetQueueDepth>();
    }

    public enum Url { Good, Bad }

    public enum Depth { Unknown, Room, Full }

    /// <summary>
    /// Scope, then URL, then cap: whatever else is wrong, the answer is the first failed check's, and only a request
    /// that passes all three reaches the queue (once).
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Checks_run_in_order_scope_then_url_then_cap_and_only_a_passing_request_reaches_the_queue() =>
        Prop.ForAll(
            Gen.Elements(ApiScope.None, ApiScope.Read, ApiScope.Ingest, ApiScope.Read | ApiScope.Ingest, ApiScope.Admin).ToArbitrary(),
            Gen.Elements(Url.Good, Url.Bad).ToArbitrary(),
            Gen.Elements(Depth.Unknown, Depth.Room, Depth.Full).ToArbitrary(),
            (scopes, url, depth) =>
            {
                var (gateway, queue) = Start();
                if (depth == Depth.Room) gateway.Tell(new QueueDepthChanged(3, 1, 10, T0.AddHours(1)));
                if (depth == Depth.Full) gateway.Tell(Full());
                gateway.Tell(new SubmitIngest(new Caller("c", scopes), url == Url.Good ? GoodUrl : "https://example.org/a/b",
                    Priority.Normal), TestActor);

                IngestRefusal? expected = !scopes.Grants(ApiScope.Ingest) ? IngestRefusal.Forbidden
                    : url == Url.Bad ? IngestRefusal.InvalidRequest
                    : depth == Depth.Full ? IngestRefusal.QueueFull
                    : null;
                if (expected is null)
                {
                    var forwarded = queue.ExpectMsg<EnqueueTask>().RepoUrl == NormalUrl;
                    return (forwarded && !queue.HasMessages && !HasMessages).Label("forwarded once, no answer of its own");
                }
                var refused = ExpectMsg<IngestRefused>();
                return (refused.Reason == expected && !queue.HasMessages).Label($"{refused.Reason}, expected {expected}");
            });

    [Fact]
    public void The_gateways_input_stays_on_the_node_while_what_goes_to_the_queue_crosses_the_wire()
    {
        Assert.False(typeof(IPharosMessage).IsAssignableFrom(typeof(SubmitIngest)));
        Assert.False(typeof(IPharosMessage).IsAssignableFrom(typeof(Caller)));
        Assert.Equal("enqueue-task.v1", MessageManifests.For(typeof(EnqueueTask)));
        Assert.Equal("ingest-accepted.v1", MessageManifests.For(typeof(IngestAccepted)));
        Assert.Equal("ingest-refused.v1", MessageManifests.For(typeof(IngestRefused)));
    }
}
