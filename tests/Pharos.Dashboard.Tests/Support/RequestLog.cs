using Microsoft.Playwright;

namespace Pharos.Dashboard.Tests.Support;

/// <summary>
/// Every request a page makes, as Chromium reports them to Playwright: HTTP requests (the page, its assets, every
/// fetch) and WebSocket handshakes, which Playwright reports apart.
/// </summary>
public sealed class RequestLog
{
    private readonly List<IRequest> _requests = [];
    private readonly List<string> _webSockets = [];

    /// <summary>Records what <paramref name="page"/> asks for from now on (before it navigates, to see everything).</summary>
    public void Watch(IPage page)
    {
        page.Request += (_, request) =>
        {
            lock (_requests) _requests.Add(request);
        };
        page.WebSocket += (_, socket) =>
        {
            lock (_webSockets) _webSockets.Add(socket.Url);
        };
    }

    public IReadOnlyList<IRequest> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    public IReadOnlyList<string> WebSockets
    {
        get { lock (_webSockets) return [.. _webSockets]; }
    }

    /// <summary>Every URL asked for, HTTP and WebSocket.</summary>
    public IReadOnlyList<string> Urls => [.. Requests.Select(r => r.Url), .. WebSockets];

    /// <summary>No URL carries <paramref name="token"/>, as it is or escaped for a query.</summary>
    public void AssertNoUrlCarries(string token)
    {
        var urls = Urls;
        Assert.NotEmpty(urls);
        foreach (var url in urls)
        {
            Assert.DoesNotContain(token, url, StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(token), url, StringComparison.Ordinal);
        }
    }

    /// <summary>The requests that carried an Authorization header, as "METHOD path".</summary>
    public async Task<IReadOnlyList<string>> WithAuthorizationAsync()
    {
        var carried = new List<string>();
        foreach (var request in Requests)
            if ((await request.AllHeadersAsync()).ContainsKey("authorization"))
                carried.Add($"{request.Method} {new Uri(request.Url).AbsolutePath}");
        return carried;
    }
}
