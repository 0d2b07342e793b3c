using System.Net.WebSockets;
using System.Text.Json;
using Akka;
using Akka.Streams.Dsl;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pharos.Actors.Status;
using Pharos.Api.Contracts.Http;
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
    public static void MapLiveStatus(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        app.MapGet("/ws/status", async (HttpContext context, ActorSystem system, IRequiredActor<StatusTracker> tracker,
                IOptions<JsonOptions> json, IHostApplicationLifetime lifetime) =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                    return ApiProblems.BadRequest("This route is a WebSocket: send GET with Upgrade: websocket (or read /worker/status/stream).");
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await PumpAsync(socket, StatusFeed(tracker.ActorRef), system, json.Value.SerializerOptions,
                    context.RequestAborted, lifetime.ApplicationStopping);
                return Results.Empty;
            })
            .WithSummary("Live status over a WebSocket: one text message with the status view now and one per change")
            // Browsers cannot set headers on a WebSocket: the token may come as ?access_token= here.
            .RequireReadScopeIf(requireReadToken, allowQueryToken: true);

        app.MapGet("/worker/status/stream", (IRequiredActor<StatusTracker> tracker) =>
                ServerSentEvents.Of(StatusFeed(tracker.ActorRef), "status"))
            .WithSummary("Live status as server-sent events: `event: status` with the status view now and on every change")
            .RequireReadScopeIf(requireReadToken);
    }

    /// <summary>The tracker's views as the API's body, the same as `GET /worker/status` answers.</summary>
    private static Source<WorkerStatusDto, NotUsed> StatusFeed(IActorRef tracker) =>
        LiveFeeds.Status(tracker).Select(view => view.ToDto());

    /// <summary>Sends every item of the feed until the client closes, the node stops, or the socket fails.</summary>
    private static async Task PumpAsync<T>(WebSocket socket, Source<T, NotUsed> feed, ActorSystem system,
        JsonSerializerOptions options, CancellationToken aborted, CancellationToken stopping)
    {
        // `gone` ends the socket's operations (an abort); `closing` only stops sending, so a close handshake the
        // client started can still be answered.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(gone.Token);
        var receiving = ReceiveUntilCloseAsync(socket, gone.Token, closing);
        try
        {
            await foreach (var item in feed.RunForOne(system).WithCancellation(closing.Token))
                await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(item, options), WebSocketMessageType.Text,
                    endOfMessage: true, gone.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (LiveFeeds.Failed(e))
        {
            // The node is stopping: the close below tells the client to reconnect.
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
                // The feed ended: the client reconnects and gets a new one.
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
}
