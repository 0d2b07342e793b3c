using Pharos.Actors.Status;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Metrics;

/// <summary>
/// Keeps the queue and worker gauges on the status tracker's views (the queue's published depth). A plain subscriber
/// actor rather than a stream: it starts with the node, and materializing Akka.Streams there would delay the HTTP
/// listener by the streams' start-up (about 0.3 s on two cores); the live feeds materialize theirs on first use.
/// </summary>
public sealed class MetricsObserver : ReceiveActor
{
    private readonly IActorRef _tracker;

    public MetricsObserver(IActorRef tracker, PharosMetrics metrics)
    {
        _tracker = tracker;
        Receive<WorkerStatusView>(metrics.Observe);
    }

    public static Props Props(IActorRef tracker, PharosMetrics metrics) =>
        Akka.Actor.Props.Create(() => new MetricsObserver(tracker, metrics));

    protected override void PreStart() => _tracker.Tell(new SubscribeStatus(Self));
}
