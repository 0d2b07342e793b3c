using System.Reflection;

namespace Pharos.CloudNode.Api;

/// <summary>
/// The dashboard at <c>GET /</c>: one HTML page with its stylesheet and script, embedded in the assembly (no
/// front-end build step) and served with a strict Content-Security-Policy: scripts and styles only from this origin,
/// no inline code, fetch and WebSocket only to this origin. The page is public; the routes it reads keep their auth.
/// </summary>
public static class DashboardEndpoints
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private sealed record Asset(byte[] Content, string ContentType);

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        Map(app, "/", "index.html", "text/html; charset=utf-8");
        Map(app, "/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8");
        Map(app, "/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8");
    }

    private static void Map(IEndpointRouteBuilder app, string route, string file, string contentType)
    {
        var asset = new Asset(Load(file), contentType);
        app.MapGet(route, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                return Results.Bytes(asset.Content, asset.ContentType);
            })
            .ExcludeFromDescription();
    }

    private static byte[] Load(string file)
    {
        var name = $"Pharos.CloudNode.Dashboard.{file}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The dashboard resource {name} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
