using Pharos.Actors.Status;
using Pharos.CloudNode.Auth;
using Prometheus;

namespace Pharos.CloudNode.Metrics;

public static class MetricsEndpoint
{
    /// <summary>`GET /metrics`: Prometheus text of the node's own registry; public unless reads need a token.</summary>
    public static void MapPharosMetrics(this IEndpointRouteBuilder app, bool requireReadToken) =>
        app.MapMetrics("/metrics", app.ServiceProvider.GetRequiredService<PharosMetrics>().Registry)
            .RequireReadScopeIf(requireReadToken);

    /// <summary>The queue and worker gauges follow the status tracker's views (the queue's published depth).</summary>
    public static AkkaConfigurationBuilder WithMetricsObserver(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) => system.ActorOf(
            MetricsObserver.Props(registry.Get<StatusTracker>(), resolver.GetService<PharosMetrics>()), "metrics-observer"));
}
