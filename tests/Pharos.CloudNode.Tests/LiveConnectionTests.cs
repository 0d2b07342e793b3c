using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pharos.CloudNode.Live;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// The live routes over real Kestrel: bounded per client address and in all (PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS,
/// PHAROS_MAX_LIVE_CONNECTIONS), a closed connection's slot free again, and one serialization of each view for every
/// connection. Clients come from several addresses: Linux routes all of 127.0.0.0/8 to the loopback interface, so a
/// client socket bound to 127.0.0.2 is another client address to the node.
/// </summary>
public sealed class LiveConnectionTests
{
    private static readonly IPAddress A = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress B = IPAddress.Parse("127.0.0.2");

    /// <summary>A client whose connections come from <paramref name="local"/>.</summary>
    private sealed class ClientAt : IDisposable
    {
        private readonly Uri _base;
        public HttpClient Http { get; }

        public ClientAt(CloudNodeHost host, IPAddress local)
        {
            _base = host.Client.BaseAddress!;
            Http = new HttpClient(new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellation) =>
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        socket.Bind(new IPEndPoint(local, 0));
                        await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            })
            { BaseAddress = _base };
        }

        private Uri WebSocketUri(string pathAndQuery) => new(new Uri(_base.ToString().Replace("http://", "ws://")), pathAndQuery);

        /// <summary>An open WebSocket on `/ws/status` (the upgrade answered 101).</summary>
        public async Task<ClientWebSocket> WebSocketAsync(CancellationToken cancellation, string pathAndQuery = "/ws/status")
        {
            var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(WebSocketUri(pathAndQuery), Http, cancellation);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>The status code of a WebSocket handshake the node refuses.</summary>
        public async Task<HttpStatusCode> RefusedWebSocketAsync(CancellationToken cancellation, string pathAndQuery = "/ws/status")
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri(pathAndQuery), Http, cancellation));
            return socket.HttpStatusCode;
        }

        /// <summary>`GET /worker/status/stream`, answered as far as its headers.</summary>
        public Task<HttpResponseMessage> EventStreamAsync(CancellationToken cancellation) =>
            Http.GetAsync("/worker/status/stream", HttpCompletionOption.ResponseHeadersRead, cancellation);

        public void Dispose() => Http.Dispose();
    }

    private static async Task AssertRefusedNamingAsync(HttpResponseMessage response, string setting)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(setting, detail, StringComparison.Ordinal);
        // The detail names the limit that was reached, not the other.
        if (setting == "PHAROS_MAX_LIVE_CONNECTIONS") Assert.DoesNotContain("PER_ADDRESS", detail, StringComparison.Ordinal);
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket, CancellationToken cancellation) =>
        (await LiveStatusTests.ReceiveJsonAsync(socket, cancellation)).GetRawText();

    private static async Task<double> LiveConnectionsGaugeAsync(CloudNodeHost host)
    {
        var metrics = await host.Client.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("pharos_live_connections ", StringComparison.Ordinal));
        return double.Parse(line["pharos_live_connections ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Past_the_limit_of_an_address_and_then_of_the_node_a_live_connection_is_refused_with_429_naming_the_setting()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_MAX_LIVE_CONNECTIONS"] = "5",
            ["PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS"] = "3",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var a = new ClientAt(host, A);
        using var b = new ClientAt(host, B);
        var open = new List<IDisposable>();
        try
        {
            // Both routes count together: two WebSockets and an event stream fill A's three.
            open.Add(await a.WebSocketAsync(timeout.Token));
            open.Add(await a.WebSocketAsync(timeout.Token));
            var stream = await a.EventStreamAsync(timeout.Token);
            open.Add(stream);
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);

            // A's fourth: refused before the upgrade, and before the event stream starts.
            Assert.Equal(HttpStatusCode.TooManyRequests, await a.RefusedWebSocketAsync(timeout.Token));
            using (var refused = await a.EventStreamAsync(timeout.Token))
                await AssertRefusedNamingAsync(refused, "PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS");

            // Another address still has room, until the node's five are open.
            open.Add(await b.WebSocketAsync(timeout.Token));
            var fifth = await b.EventStreamAsync(timeout.Token);
            open.Add(fifth);
            Assert.Equal(HttpStatusCode.OK, fifth.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, await b.RefusedWebSocketAsync(timeout.Token));
            using (var refused = await b.EventStreamAsync(timeout.Token))
                await AssertRefusedNamingAsync(refused, "PHAROS_MAX_LIVE_CONNECTIONS");

            Assert.Equal(5, await LiveConnectionsGaugeAsync(host));
            var metrics = await host.Client.GetStringAsync("/metrics");
            Assert.Contains("pharos_rate_limited_total{limit=\"live_connections_per_address\"} 2", metrics);
            Assert.Contains("pharos_rate_limited_total{limit=\"live_connections\"} 2", metrics);
        }
        finally
        {
            foreach (var connection in open) connection.Dispose();
        }
    }

    [Fact]
    public async Task A_closed_WebSocket_frees_its_slot_at_once()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_MAX_LIVE_CONNECTIONS"] = "1",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var a = new ClientAt(host, A);
        using var b = new ClientAt(host, B);
        // The node gives the slot back before it answers the close: once the client's close completes, the next
        // connection (from any address) finds it free, every time.
        for (var round = 0; round < 10; round++)
        {
            using var socket = await (round % 2 == 0 ? a : b).WebSocketAsync(timeout.Token);
            await ReceiveTextAsync(socket, timeout.Token);
            Assert.Equal(HttpStatusCode.TooManyRequests, await a.RefusedWebSocketAsync(timeout.Token));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            Assert.Equal(WebSocketState.Closed, socket.State);
        }
    }

    [Fact]
    public async Task A_closed_event_stream_frees_its_slot_when_the_node_sees_the_client_go()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS"] = "1",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var a = new ClientAt(host, A);
        var first = await a.EventStreamAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var refused = await a.EventStreamAsync(timeout.Token))
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // An event stream ends only by the client closing its connection, which the node learns from the socket.
        first.Dispose();
        while (await LiveConnectionsGaugeAsync(host) > 0) await Task.Delay(20, timeout.Token);
        using var again = await a.EventStreamAsync(timeout.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task At_the_defaults_connection_51_of_an_address_and_connection_201_of_the_node_are_refused()
    {
        await using var host = await CloudNodeHost.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clients = Enumerable.Range(1, 5).Select(i => new ClientAt(host, IPAddress.Parse($"127.0.0.{i}"))).ToList();
        var open = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < 50; i++) open.Add(await clients[0].WebSocketAsync(timeout.Token));
            Assert.Equal(HttpStatusCode.TooManyRequests, await clients[0].RefusedWebSocketAsync(timeout.Token));
            foreach (var client in clients.Skip(1).Take(3))
                for (var i = 0; i < 50; i++) open.Add(await client.WebSocketAsync(timeout.Token));
            Assert.Equal(200, open.Count);
            Assert.Equal(HttpStatusCode.TooManyRequests, await clients[4].RefusedWebSocketAsync(timeout.Token));
            using (var refused = await clients[4].EventStreamAsync(timeout.Token))
                await AssertRefusedNamingAsync(refused, "PHAROS_MAX_LIVE_CONNECTIONS");
        }
        finally
        {
            foreach (var socket in open) socket.Dispose();
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task Every_connection_gets_the_same_bytes_of_a_view_serialized_once()
    {
        await using var host = await CloudNodeHost.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var broadcast = host.Services.GetRequiredService<StatusBroadcast>();
        using var a = new ClientAt(host, A);
        using var first = await a.WebSocketAsync(timeout.Token);
        using var second = await a.WebSocketAsync(timeout.Token);
        using var stream = await a.EventStreamAsync(timeout.Token);
        using var events = new SseReader(await stream.Content.ReadAsStreamAsync(timeout.Token));
        // Everyone starts with the current view, which was serialized before any of them came.
        var initial = await ReceiveTextAsync(first, timeout.Token);
        Assert.Equal(initial, await ReceiveTextAsync(second, timeout.Token));
        Assert.Equal(initial, (await events.NextAsync(timeout.Token)).Data.GetRawText());
        var before = broadcast.ViewsSerialized;

        // One submission: one change of the queue's depth, one view.
        Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync($"https://github.com/pharos-tests/once{Guid.NewGuid():N}")).StatusCode);
        var firstBytes = await LiveStatusTests.ReceiveBytesAsync(first, timeout.Token);
        var secondBytes = await LiveStatusTests.ReceiveBytesAsync(second, timeout.Token);
        var (name, data) = await events.NextAsync(timeout.Token);

        Assert.Equal(1, JsonDocument.Parse(firstBytes).RootElement.GetProperty("queue").GetProperty("pending").GetInt32());
        Assert.Equal(firstBytes, secondBytes);
        Assert.Equal("status", name);
        Assert.Equal(Encoding.UTF8.GetString(firstBytes), data.GetRawText());
        Assert.Equal(1, broadcast.ViewsSerialized - before);
    }
}
