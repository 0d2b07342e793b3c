using System.Net.WebSockets;
using System.Text;

namespace Pharos.CloudNode.Tests;

/// <summary>`GET /ws/status` and `GET /worker/status/stream` against a real node.</summary>
public sealed class LiveStatusTests(SharedCloudNode node) : IClassFixture<SharedCloudNode>
{
    private CloudNodeHost Host => node.Host;

    private static string UniqueRepo() => $"https://github.com/pharos-tests/live{Guid.NewGuid():N}";

    private static Uri WebSocketUri(CloudNodeHost host, string pathAndQuery) =>
        new(new Uri(host.Client.BaseAddress!.ToString().Replace("http://", "ws://")), pathAndQuery);

    internal static async Task<JsonElement> ReceiveJsonAsync(ClientWebSocket socket, CancellationToken cancellation) =>
        JsonDocument.Parse(await ReceiveBytesAsync(socket, cancellation)).RootElement.Clone();

    /// <summary>One whole text message, however many frames it came in.</summary>
    internal static async Task<byte[]> ReceiveBytesAsync(ClientWebSocket socket, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellation);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            message.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return message.ToArray();
    }

    private static int Pending(JsonElement view) => view.GetProperty("queue").GetProperty("pending").GetInt32();

    [Fact]
    public async Task WebSocket_sends_the_current_view_then_one_on_every_change()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(Host, "/ws/status"), timeout.Token);

        var first = await ReceiveJsonAsync(socket, timeout.Token);
        // The same JSON as GET /worker/status.
        var polled = await Host.JsonAsync("/worker/status");
        Assert.Equal(polled.GetProperty("status").GetString(), first.GetProperty("status").GetString());
        Assert.Equal(polled.GetProperty("queue").GetProperty("max").GetInt32(), first.GetProperty("queue").GetProperty("max").GetInt32());
        Assert.True(first.TryGetProperty("workers", out _));

        Assert.Equal(HttpStatusCode.Accepted, (await Host.IngestAsync(UniqueRepo())).StatusCode);
        // Other tests of the class may submit too: wait for a view that has this submission in it.
        JsonElement next;
        do next = await ReceiveJsonAsync(socket, timeout.Token);
        while (Pending(next) < Pending(first) + 1);
        Assert.True(Pending(next) >= Pending(first) + 1);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task A_plain_GET_of_the_WebSocket_route_is_a_400_problem()
    {
        var response = await Host.Client.GetAsync("/ws/status");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Server_sent_events_carry_the_current_view_then_one_on_every_change()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var response = await Host.Client.GetAsync("/worker/status/stream", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var events = new SseReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var (name, first) = await events.NextAsync(timeout.Token);
        Assert.Equal("status", name);
        Assert.True(first.TryGetProperty("workers", out _));

        Assert.Equal(HttpStatusCode.Accepted, (await Host.IngestAsync(UniqueRepo())).StatusCode);
        JsonElement next;
        do (name, next) = await events.NextAsync(timeout.Token);
        while (Pending(next) < Pending(first) + 1);
        Assert.Equal("status", name);
    }
}

/// <summary>Reads `event:`/`data:` blocks of a server-sent event stream; comments (keep-alives) are skipped.</summary>
public sealed class SseReader(Stream stream) : IDisposable
{
    private readonly StreamReader _reader = new(stream, Encoding.UTF8);

    public async Task<(string? Event, JsonElement Data)> NextAsync(CancellationToken cancellation)
    {
        string? name = null;
        var data = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellation) ?? throw new EndOfStreamException("The event stream ended.");
            if (line.Length == 0)
            {
                if (data.Length > 0) return (name, JsonDocument.Parse(data.ToString()).RootElement.Clone());
                continue;
            }
            if (line.StartsWith(':')) continue;
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data.Append(line["data: ".Length..]);
        }
    }

    public void Dispose() => _reader.Dispose();
}

public sealed class LiveStatusReadTokenTests
{
    [Fact]
    public async Task With_PHAROS_REQUIRE_READ_TOKEN_the_streams_need_a_read_token_and_the_WebSocket_a_header_or_a_one_time_ticket_never_a_token_in_its_URL()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_REQUIRE_READ_TOKEN"] = "true",
            ["PHAROS_TOKENS_FILE"] = TokensFile.Write(),
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var baseUri = host.Client.BaseAddress!.ToString().Replace("http://", "ws://").TrimEnd('/');

        async Task<HttpStatusCode> RefusedAsync(string pathAndQuery)
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(baseUri + pathAndQuery), timeout.Token));
            return socket.HttpStatusCode;
        }

        async Task<string> TicketAsync(string? token)
        {
            using var response = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/ws/ticket", token));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(30, body.GetProperty("expires_in").GetInt32());
            return body.GetProperty("ticket").GetString()!;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync("/ws/status"));
        // A token in the URL is never taken, even a valid one: proxies log URLs.
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync("/ws/status?access_token=" + TokensFile.ReadOnlyToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync("/ws/status?ticket=" + TokensFile.ReadOnlyToken));

        // A ticket needs a token with the read scope, and opens the WebSocket once.
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(host.Request(HttpMethod.Post, "/ws/ticket", token: null))).StatusCode);
        var ticket = await TicketAsync(TokensFile.ReadOnlyToken);
        using (var reader = new ClientWebSocket())
        {
            await reader.ConnectAsync(new Uri(baseUri + "/ws/status?ticket=" + ticket), timeout.Token);
            var view = await LiveStatusTests.ReceiveJsonAsync(reader, timeout.Token);
            Assert.True(view.TryGetProperty("queue", out _));
            await reader.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedAsync("/ws/status?ticket=" + ticket));

        // A header works as well (clients that can set one); the event stream takes a header only.
        using (var withHeader = new ClientWebSocket())
        {
            withHeader.Options.SetRequestHeader("Authorization", "Bearer " + TokensFile.ReadOnlyToken);
            await withHeader.ConnectAsync(new Uri(baseUri + "/ws/status"), timeout.Token);
            await LiveStatusTests.ReceiveJsonAsync(withHeader, timeout.Token);
            await withHeader.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/worker/status/stream")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await host.Client.GetAsync("/worker/status/stream?access_token=" + TokensFile.ReadOnlyToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await host.Client.GetAsync("/worker/status/stream?ticket=" + await TicketAsync(CloudNodeHost.AdminToken))).StatusCode);
        using var stream = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/worker/status/stream", TokensFile.ReadOnlyToken),
            HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);

        // Neither the token nor a ticket reaches the log, not even as part of a route.
        Assert.DoesNotContain(host.Logs.Lines, line => line.Everything.Contains(TokensFile.ReadOnlyToken, StringComparison.Ordinal));
        Assert.DoesNotContain(host.Logs.Lines, line => line.Everything.Contains(ticket, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/metrics")).StatusCode);
        using var metrics = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/metrics", TokensFile.ReadOnlyToken));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        // The made-up ticket and the used one; the event stream does not read tickets (its refusal is a missing header).
        Assert.Contains("pharos_auth_failures_total{reason=\"unknown_ticket\"} 2", await metrics.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_open_reads_the_WebSocket_needs_no_ticket_and_a_ticket_needs_a_token()
    {
        await using var host = await CloudNodeHost.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(host.Client.BaseAddress!.ToString().Replace("http://", "ws://") + "ws/status"), timeout.Token);
        await LiveStatusTests.ReceiveJsonAsync(socket, timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(host.Request(HttpMethod.Post, "/ws/ticket", token: null))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Request(HttpMethod.Post, "/ws/ticket"))).StatusCode);
    }
}
