using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Akka;
using Akka.Streams.Dsl;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Pharos.CloudNode.Live;

namespace Pharos.CloudNode.Api;

/// <summary>The event-stream format, written in one place: events and keep-alive comments.</summary>
public static class ServerSentEvents
{
    /// <summary>An answer that streams <paramref name="feed"/> as `event: <paramref name="eventName"/>` events.</summary>
    public static ServerSentEvents<T> Of<T>(Source<T, NotUsed> feed, string eventName) => new(feed, eventName);

    /// <summary>A comment line: clients ignore it, proxies see a connection in use.</summary>
    internal static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    private static readonly string[] LineBreaks = ["\r\n", "\r", "\n"];

    /// <summary>
    /// Sends the headers of an event stream now: a client waits for them to know it is subscribed, and ASP.NET Core
    /// would otherwise send them with the first event.
    /// </summary>
    internal static async Task StartAsync(HttpContext context, CancellationToken cancellation)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // nginx buffers responses unless told otherwise; an event stream must go out as it is written.
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellation);
        await response.Body.FlushAsync(cancellation);
    }

    /// <summary>
    /// Writes the frames <paramref name="frames"/> gives, as they come, and a keep-alive comment after
    /// <see cref="LiveFeeds.KeepAliveInterval"/> of silence, until the reader completes or <paramref name="done"/>.
    /// </summary>
    internal static async Task WriteAsync<T>(HttpContext context, ChannelReader<T> frames, Func<T, byte[]> frame, CancellationToken done)
    {
        var body = context.Response.Body;
        while (true)
        {
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(done);
            quiet.CancelAfter(LiveFeeds.KeepAliveInterval);
            try
            {
                if (!await frames.WaitToReadAsync(quiet.Token)) return;
            }
            catch (OperationCanceledException) when (!done.IsCancellationRequested)
            {
                await body.WriteAsync(KeepAlive, done);
                await body.FlushAsync(done);
                continue;
            }
            while (frames.TryRead(out var item)) await body.WriteAsync(frame(item), done);
            await body.FlushAsync(done);
        }
    }

    /// <summary>One event; every line of the data gets its own `data:` field, as the format wants.</summary>
    internal static byte[] Frame(string eventName, string data) =>
        Encoding.UTF8.GetBytes($"event: {eventName}\ndata: {string.Join("\ndata: ", data.Split(LineBreaks, StringSplitOptions.None))}\n\n");
}

/// <summary>
/// A `text/event-stream` answer: `event: NAME` + `data: JSON` for every item of a feed, and a `: keep-alive` comment
/// after <see cref="LiveFeeds.KeepAliveInterval"/> of silence, until the client goes, the node stops or the feed ends.
/// ASP.NET Core's <c>TypedResults.ServerSentEvents</c> writes no comments and sends its headers with the first event;
/// a client of a quiet feed (cluster events) must know at once that it is subscribed.
/// </summary>
public sealed class ServerSentEvents<T>(Source<T, NotUsed> feed, string eventName) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var response = context.Response;
        var frames = feed
            .Select(item => ServerSentEvents.Frame(eventName, JsonSerializer.Serialize(item, json)))
            .KeepAlive(LiveFeeds.KeepAliveInterval, () => ServerSentEvents.KeepAlive);
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await ServerSentEvents.StartAsync(context, done.Token);
            await foreach (var frame in frames.RunForOne(services.GetRequiredService<ActorSystem>()).WithCancellation(done.Token))
            {
                await response.Body.WriteAsync(frame, done.Token);
                await response.Body.FlushAsync(done.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (LiveFeeds.Failed(e))
        {
            // The feed gave up on this client (too slow) or the node is stopping: the client reconnects.
        }
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["text/event-stream"]));
}
