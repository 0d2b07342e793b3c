using System.Net.WebSockets;
using Pharos.Api.Contracts.Http;
using Pharos.CloudNode.Auth;
using Pharos.CloudNode.Live;

namespace Pharos.CloudNode.Api;

/// <summary>
/// `GET /ws/status` (WebSocket) and `GET /worker/status/stream` (server-sent events): the view of `GET /worker/status`
/// on connecting and after every change (the tracker sends at most ten a second), serialized once for all connections
/// by <see cref="StatusBroadcast"/>. Both count against <see cref="LiveConnectionLimits"/>; `POST /ws/ticket` gives a
/// browser the one-time ticket it opens the WebSocket with when reads need a token.
/// </summary>
public static class LiveStatusEndpoints
{
    public static void MapLiveStatus(this IEndpointRouteBuilder app, bool requireReadToken)
    {
        app.MapGet("/ws/status", async (HttpContext context, LiveConnectionLimits limits, StatusBroadcast broadcast,
                IHostApplicationLifetime lifetime) =>
            {
                if (!context.WebSockets.IsWebSocketRequest)
                    return ApiProblems.BadRequest("This route is a WebSocket: send GET with Upgrade: websocket (or read /worker/status/stream).");
                if (!limits.TryOpen(context, out var slot, out var refusal)) return refusal;
                using (slot)
                using (var subscription = broadcast.Subscribe())
                using (var socket = await context.WebSockets.AcceptWebSocketAsync())
                    await PumpAsync(socket, subscription, slot, context.RequestAborted, lifetime.ApplicationStopping);
                return Results.Empty;
            })
            .WithSummary("Live status over a WebSocket: one text message with the status view now and one per change")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            // Browsers cannot set headers on a WebSocket: they come with a ticket from POST /ws/ticket instead.
            .RequireReadScopeIf(requireReadToken, allowTicket: true);

        app.MapPost("/ws/ticket", (HttpContext context, WebSocketTickets tickets) =>
            {
                // A credential, if a short-lived one: no cache keeps it.
                context.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(new WebSocketTicketDto(tickets.Issue(context.User), (int)WebSocketTickets.Lifetime.TotalSeconds));
            })
            .WithSummary("A one-time ticket for GET /ws/status?ticket=…, valid 30 s, for browsers (which cannot send a token header on a WebSocket)")
            .RequireScope(ApiScope.Read);

        app.MapGet("/worker/status/stream", async (HttpContext context, LiveConnectionLimits limits, StatusBroadcast broadcast,
                IHostApplicationLifetime lifetime) =>
            {
                if (!limits.TryOpen(context, out var slot, out var refusal))
                {
                    await refusal.ExecuteAsync(context);
                    return;
                }
                using (slot)
                using (var subscription = broadcast.Subscribe())
                using (var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping))
                {
                    try
                    {
                        await ServerSentEvents.StartAsync(context, done.Token);
                        await ServerSentEvents.WriteAsync(context, subscription.Views, view => view.EventFrame, done.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client went away or the node stops; when the broadcast ends, the stream ends and the client reconnects.
                    }
                }
            })
            .WithSummary("Live status as server-sent events: `event: status` with the status view now and on every change")
            .Produces<WorkerStatusDto>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireReadScopeIf(requireReadToken);
    }

    /// <summary>
    /// Sends every view of the subscription until the client closes, the node stops, or the socket fails. The slot is
    /// given back as soon as sending ends, before the close handshake: a client that saw its close complete may open
    /// its next connection at once.
    /// </summary>
    private static async Task PumpAsync(WebSocket socket, StatusSubscription subscription, LiveConnectionSlot slot,
        CancellationToken aborted, CancellationToken stopping)
    {
        // `gone` ends the socket's operations (an abort); `closing` only stops sending, so a close handshake the
        // client started can still be answered.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(gone.Token);
        var receiving = ReceiveUntilCloseAsync(socket, gone.Token, closing);
        try
        {
            await foreach (var view in subscription.Views.ReadAllAsync(closing.Token))
                await socket.SendAsync(view.Json, WebSocketMessageType.Text, endOfMessage: true, gone.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
            // The client went away without a close handshake: nothing more to say to it.
            slot.Dispose();
            await gone.CancelAsync();
            await receiving;
            return;
        }
        slot.Dispose();
        try
        {
            if (socket.State == WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            else if (socket.State == WebSocketState.Open)
                // The feed ended (the node stops): the client reconnects and gets a new one.
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
