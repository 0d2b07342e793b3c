using Pharos.Actors.Status;

namespace Pharos.CloudNode.Live;

/// <summary>
/// The one subscriber of the status tracker behind all live connections: hands every view to
/// <see cref="StatusBroadcast"/>, which serializes it once for all of them. A plain actor, started with the node, like
/// the metrics observer: the connections themselves cost no actor.
/// </summary>
public sealed class StatusBroadcaster : ReceiveActor
{
    private readonly IActorRef _tracker;
    private readonly StatusBroadcast _broadcast;

    public StatusBroadcaster(IActorRef tracker, StatusBroadcast broadcast)
    {
        _tracker = tracker;
        _broadcast = broadcast;
        Receive<WorkerStatusView>(broadcast.Publish);
    }

    public static Props Props(IActorRef tracker, StatusBroadcast broadcast) =>
        Akka.Actor.Props.Create(() => new StatusBroadcaster(tracker, broadcast));

    protected override void PreStart() => _tracker.Tell(new SubscribeStatus(Self));

    // A restart keeps the connections (the new instance subscribes again and gets the current view); only a stop ends them.
    protected override void PreRestart(Exception reason, object message)
    {
    }

    /// <summary>The node stops: the connections close and their clients reconnect to another node or later.</summary>
    protected override void PostStop() => _broadcast.End();
}

public static class StatusBroadcasterHosting
{
    public static AkkaConfigurationBuilder WithStatusBroadcaster(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) => system.ActorOf(
            StatusBroadcaster.Props(registry.Get<StatusTracker>(), resolver.GetService<StatusBroadcast>()), "status-broadcaster"));
}
