using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pharos.Actors.Status;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Live;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Api;

/// <summary>
/// `GET /ws/status` (WebSocket) and `GET /worker/status/stream` (server-sent events): the view of `GET /worker/status`
/// on connecting and after every change (the tracker sends at most ten a second).
/// </summary>
public static class LiveStatusEndpoints
{
    /// <summary>Proxies close idle connections; a comment line every so often keeps an SSE stream open.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    public static void MapLiveStatus(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        app.MapGet("/ws/status", async (HttpContext context, ActorSystem system, IRequiredActor<StatusTracker> tracker,
                IOptions<JsonOptions> json, IHostApplicationLifetime lifetime) =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                    return ApiProblems.BadRequest("This route is a WebSocket: send GET with Upgrade: websocket (or read /worker/status/stream).");
                using var feed = LiveFeeds.Status(system, tracker.ActorRef);
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await PumpAsync(socket, feed.Reader, json.Value.SerializerOptions, context.RequestAborted, lifetime.ApplicationStopping);
                return Results.Empty;
            })
            .WithSummary("Live status over a WebSocket: one text message with the status view now and one per change")
            // Browsers cannot set headers on a WebSocket: the token may come as ?access_token= here.
            .RequireReadScopeIf(requireReadToken, allowQueryToken: true);

        app.MapGet("/worker/status/stream", async (HttpContext context, ActorSystem system,
                IRequiredActor<StatusTracker> tracker, IOptions<JsonOptions> json, IHostApplicationLifetime lifetime) =>
            {
                using var feed = LiveFeeds.Status(system, tracker.ActorRef);
                var options = json.Value.SerializerOptions;
                await WriteEventsAsync(context, feed.Reader, "status", view => JsonSerializer.Serialize(view.ToDto(), options),
                    lifetime.ApplicationStopping);
                return Results.Empty;
            })
            .WithSummary("Live status as server-sent events: `event: status` with the status view now and on every change")
            .RequireReadScopeIf(requireReadToken);
    }

    /// <summary>Sends every view until the client closes, the node stops, or the socket fails.</summary>
    private static async Task PumpAsync(WebSocket socket, ChannelReader<WorkerStatusView> views,
        JsonSerializerOptions options, CancellationToken aborted, CancellationToken stopping)
    {
        // `gone` ends the socket's operations (an abort); `closing` only stops sending, so a close handshake the
        // client started can still be answered.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(gone.Token);
        var receiving = ReceiveUntilCloseAsync(socket, gone.Token, closing);
        try
        {
            await foreach (var view in views.ReadAllAsync(closing.Token))
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(view.ToDto(), options), WebSocketMessageType.Text,
                    endOfMessage: true, gone.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
            // The client went away without a close handshake: nothing more to say to it.
            await gone.CancelAsync();
            await receiving;
            return;
        }
        try
        {
            if (socket.State == WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            else if (socket.State == WebSocketState.Open)
                // The feed ended (the tracker stopped): the client reconnects and gets a new one.
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "the status feed ended", CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
        gone.CancelAfter(TimeSpan.FromSeconds(2));
        await receiving;
    }

    /// <summary>Clients only listen; anything they send is read and dropped until their close arrives.</summary>
    private static async Task ReceiveUntilCloseAsync(WebSocket socket, CancellationToken gone, CancellationTokenSource closing)
    {
        var buffer = new byte[1024];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, gone);
                if (result.MessageType == WebSocketMessageType.Close) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            await closing.CancelAsync();
        }
    }

    /// <summary>
    /// Writes `event: NAME` + `data: JSON` for every item, and a `: keep-alive` comment after
    /// <see cref="KeepAliveInterval"/> of silence, until the client goes, the node stops or the feed ends.
    /// </summary>
    internal static async Task WriteEventsAsync<T>(HttpContext context, ChannelReader<T> reader, string eventName,
        Func<T, string> data, CancellationToken stopping)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // nginx buffers responses unless told otherwise; an event stream must go out as it is written.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            // The headers go out now, not with the first event: a client waits for them to know it is subscribed.
            await response.StartAsync(done.Token);
            await response.Body.FlushAsync(done.Token);
            while (true)
            {
                bool more;
                using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(done.Token))
                {
                    quiet.CancelAfter(KeepAliveInterval);
                    try
                    {
                        more = await reader.WaitToReadAsync(quiet.Token);
                    }
                    catch (OperationCanceledException) when (!done.IsCancellationRequested)
                    {
                        await WriteAsync(response, ": keep-alive\n\n", done.Token);
                        continue;
                    }
                }
                if (!more) break;
                while (reader.TryRead(out var item))
                    await WriteAsync(response, $"event: {eventName}\ndata: {data(item)}\n\n", done.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellation)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellation);
        await response.Body.FlushAsync(cancellation);
    }
}
