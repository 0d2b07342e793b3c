using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Pharos.Cli.Remote;

/// <summary>One server-sent event: its <c>event:</c> name ("message" when none) and its <c>data:</c> lines joined.</summary>
internal sealed record ServerSentEvent(string Event, string Data);

internal static class ServerSentEvents
{
    /// <summary>
    /// Reads events (.NET's <see cref="SseParser"/>; comments such as keep-alives are skipped) until the stream ends or
    /// the connection breaks; owns and disposes the response and its request.
    /// </summary>
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(HttpResponseMessage response, HttpRequestMessage request,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using (request)
        using (response)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            await using var events = SseParser.Create(stream).EnumerateAsync(ct).GetAsyncEnumerator(ct);
            while (true)
            {
                try
                {
                    if (!await events.MoveNextAsync()) yield break;
                }
                catch (IOException) when (!ct.IsCancellationRequested)
                {
                    yield break;
                }
                yield return new ServerSentEvent(events.Current.EventType, events.Current.Data);
            }
        }
    }
}
