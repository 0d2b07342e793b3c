using System.Runtime.Serialization;
using System.Text;
using System.Threading.Channels;
using Akka.Configuration;
using Akka.Event;
using Akka.Hosting;
using Akka.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pharos.Actors.Hosting;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Tests.Hosting;

/// <summary>
/// Only Pharos messages and Akka's own cross the wire of a node wired by <see cref="PharosAkkaHosting.WithPharosNode"/>.
/// A stranger (a stock Akka.NET system on loopback, where System.Object goes to Newtonsoft JSON with `$type`) sends
/// an object of a type whose constructor counts its instances: the node drops it and logs it, the type is never
/// built, and the Pharos message sent right after it on the same connection arrives.
/// </summary>
public sealed class WireSerializationTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private IHost? _host;
    private ActorSystem _node = null!;
    private ActorSystem _stranger = null!;
    private readonly Channel<object> _nodeInbox = Channel.CreateUnbounded<object>();
    private readonly Channel<object> _strangerInbox = Channel.CreateUnbounded<object>();

    /// <summary>What a stranger sends: built by Newtonsoft through its default constructor, which counts.</summary>
    public sealed class Canary
    {
        private static int _built;
        public static int Built => Volatile.Read(ref _built);

        public Canary() => Interlocked.Increment(ref _built);

        public string Note { get; set; } = "";
    }

    private static readonly RegisterWorker Marker = new("marker-worker", "akka.tcp://stranger@127.0.0.1:1");

    public async Task InitializeAsync()
    {
        var settings = TestCertificates.Read(("PHAROS_CLUSTER_PORT", "0"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka.WithPharosNode(settings, PharosAkkaHosting.CloudRole));
        _host = builder.Build();
        await _host.StartAsync();
        _node = _host.Services.GetRequiredService<ActorSystem>();
        _node.ActorOf(Props.Create(() => new Inbox(_nodeInbox.Writer)), "inbox");

        // Akka's reference configuration as it comes, plus the Pharos serializer for the marker.
        _stranger = ActorSystem.Create("stranger", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.actor.serializers.pharos = "Pharos.Messages.Serialization.PharosSerializer, Pharos.Messages"
            akka.actor.serialization-bindings { "Pharos.Messages.IPharosMessage, Pharos.Messages" = pharos }
            """));
        _stranger.ActorOf(Props.Create(() => new Inbox(_strangerInbox.Writer)), "inbox");
    }

    public async Task DisposeAsync()
    {
        await _stranger.Terminate();
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }

    private sealed class Inbox : ReceiveActor
    {
        public Inbox(ChannelWriter<object> seen) => ReceiveAny(message => seen.TryWrite(message));
    }

    private static Address AddressOf(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress;

    private static Task<IActorRef> InboxOfAsync(ActorSystem from, ActorSystem of) =>
        from.ActorSelection(new RootActorPath(AddressOf(of)) / "user" / "inbox").ResolveOne(Deadline);

    /// <summary>The first <typeparamref name="TEvent"/> logged on <paramref name="system"/> that contains <paramref name="text"/>.</summary>
    private static Task<TEvent> LoggedAsync<TEvent>(ActorSystem system, string text) where TEvent : LogEvent
    {
        var seen = new TaskCompletionSource<TEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var watcher = system.ActorOf(Props.Create(() => new LogWatcher<TEvent>(text, seen)));
        // Subscribed before the caller sends anything, so no entry can come too early.
        system.EventStream.Subscribe(watcher, typeof(TEvent));
        return seen.Task.WaitAsync(Deadline);
    }

    private sealed class LogWatcher<TEvent> : ReceiveActor where TEvent : LogEvent
    {
        public LogWatcher(string text, TaskCompletionSource<TEvent> seen) =>
            Receive<TEvent>(e =>
            {
                if ($"{e.Message} {e.Cause}".Contains(text, StringComparison.Ordinal)) seen.TrySetResult(e);
            });
    }

    /// <summary>Everything the inbox received up to and including the marker (same connection: in order).</summary>
    private static async Task<IReadOnlyList<object>> UntilMarkerAsync(Channel<object> inbox)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var received = new List<object>();
        while (received.LastOrDefault() is not RegisterWorker { WorkerId: "marker-worker" })
            received.Add(await inbox.Reader.ReadAsync(timeout.Token));
        return received;
    }

    [Fact]
    public async Task A_newtonsoft_payload_is_dropped_and_logged_and_its_type_never_built()
    {
        // The stranger really sends Newtonsoft JSON with the type's name in it.
        var canary = new Canary { Note = "built by the stranger" };
        Assert.Equal(RefusingJsonSerializer.NewtonsoftId, _stranger.Serialization.FindSerializerFor(canary).Identifier);
        Assert.Contains("\"$type\"", Encoding.UTF8.GetString(_stranger.Serialization.FindSerializerFor(canary).ToBinary(canary)));
        var refused = LoggedAsync<Warning>(_node, "Deserialization failed for message with serializer id [1]");
        var inbox = await InboxOfAsync(_stranger, _node);
        var built = Canary.Built;

        inbox.Tell(canary);
        inbox.Tell(Marker);

        Assert.Equal([Marker], await UntilMarkerAsync(_nodeInbox));
        var warning = await refused;
        Assert.Contains("Refused a payload of Akka's Newtonsoft JSON serializer", $"{warning.Message} {warning.Cause}");
        Assert.Equal(built, Canary.Built);
    }

    [Fact]
    public async Task A_message_without_a_binding_is_never_sent()
    {
        var failed = LoggedAsync<Error>(_node, "Serialization failed for message");
        var inbox = await InboxOfAsync(_node, _stranger);

        inbox.Tell(new Canary { Note = "from the node" });
        inbox.Tell(Marker);

        Assert.Equal([Marker], await UntilMarkerAsync(_strangerInbox));
        Assert.Contains(nameof(Canary), (await failed).Message.ToString());
        var refusal = Assert.Throws<SerializationException>(() => _node.Serialization.FindSerializerForType(typeof(Canary)));
        Assert.Contains("No serializer binding found", refusal.Message);
    }

    [Fact]
    public void The_node_reads_nothing_under_newtonsofts_id_and_resolves_no_type_it_names()
    {
        var json = Encoding.UTF8.GetBytes($$"""{"$type":"{{typeof(Canary).AssemblyQualifiedName}}","Note":"x"}""");
        var built = Canary.Built;

        var refusal = Assert.Throws<SerializationException>(() =>
            _node.Serialization.Deserialize(json, RefusingJsonSerializer.NewtonsoftId, typeof(Canary).AssemblyQualifiedName!));

        Assert.Contains("Refused a payload", refusal.Message);
        Assert.Equal(built, Canary.Built);
        Assert.IsType<RefusingJsonSerializer>(_node.Serialization.FindSerializerForType(typeof(object)));
        // Akka's own messages keep their serializers, Pharos messages theirs.
        Assert.IsNotType<RefusingJsonSerializer>(_node.Serialization.FindSerializerFor(new Identify(1)));
        Assert.IsType<PharosSerializer>(_node.Serialization.FindSerializerFor(Marker));
    }
}
