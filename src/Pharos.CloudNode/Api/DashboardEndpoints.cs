using System.Reflection;
using System.Text;

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

    /// <summary>The live status stream the page connects to when this node serves it.</summary>
    public const string LiveRoute = "/ws/status";

    private sealed record Asset(byte[] Content, string ContentType);

    /// <summary>Says on the page whether reads need a token: only then does the page send one on reads and the WebSocket.</summary>
    public const string ReadTokenAttribute = "data-read-token";

    public static void MapDashboard(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        var text = Encoding.UTF8.GetString(Load("index.html"));
        if (requireReadToken)
            text = text.Replace($"{ReadTokenAttribute}=\"false\"", $"{ReadTokenAttribute}=\"true\"", StringComparison.Ordinal);
        // The page opens the WebSocket only when the node maps it (a refused handshake is a console error in every
        // browser); without it, or when it fails or closes, the page polls. Known once the endpoints are built.
        var page = Encoding.UTF8.GetBytes(text);
        var withoutLive = Encoding.UTF8.GetBytes(text.Replace($"data-live=\"{LiveRoute}\"", "data-live=\"\"", StringComparison.Ordinal));
        var html = new Lazy<Asset>(() => new Asset(HasRoute(app, LiveRoute) ? page : withoutLive, "text/html; charset=utf-8"));
        Map(app, "/", () => html.Value);
        var css = new Asset(Load("dashboard.css"), "text/css; charset=utf-8");
        Map(app, "/dashboard/dashboard.css", () => css);
        var js = new Asset(Load("dashboard.js"), "text/javascript; charset=utf-8");
        Map(app, "/dashboard/dashboard.js", () => js);
    }

    private static bool HasRoute(IEndpointRouteBuilder app, string route) => app.DataSources
        .SelectMany(source => source.Endpoints)
        .OfType<RouteEndpoint>()
        .Any(endpoint => string.Equals(endpoint.RoutePattern.RawText?.TrimEnd('/'), route, StringComparison.OrdinalIgnoreCase));

    private static void Map(IEndpointRouteBuilder app, string route, Func<Asset> content)
    {
        app.MapGet(route, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache";
                var asset = content();
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
