using Pharos.CloudNode.Health;
using Pharos.CloudNode.Metrics;

namespace Pharos.CloudNode.Api;

public static class PharosApi
{
    public static void MapPharosApi(this IEndpointRouteBuilder app, PharosSettings settings)
    {
        app.MapIngest();
        app.MapJobs(settings.Auth.RequireReadToken);
        app.MapRepos(settings.Auth.RequireReadToken);
        app.MapStatus(settings.Auth.RequireReadToken);
        app.MapNodeHealth();
        app.MapLiveStatus(settings.Auth.RequireReadToken);
        app.MapCluster();
        app.MapPharosMetrics(settings.Auth.RequireReadToken);
    }
}
