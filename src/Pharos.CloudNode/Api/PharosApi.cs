using Pharos.Actors.Configuration;

namespace Pharos.CloudNode.Api;

public static class PharosApi
{
    public static void MapPharosApi(this IEndpointRouteBuilder app, PharosSettings settings)
    {
        app.MapIngest();
        app.MapJobs(settings.RequireReadToken);
        app.MapStatus(settings.RequireReadToken);
    }
}
