using System.Runtime.CompilerServices;
using System.Text;

namespace Pharos.Cli.Remote;

/// <summary>One server-sent event: its <c>event:</c> name ("message" when none) and its <c>data:</c> lines joined.</summary>
internal sealed record ServerSentEvent(string Event, string Data);

internal static class ServerSentEvents
{
    /// <summary>Reads events until the stream ends; owns and disposes the response and its request.</summary>
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(HttpResponseMessage response, HttpRequestMessage request,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using (request)
        using (response)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? name = null;
            var data = new StringBuilder();
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(ct);
                }
                catch (IOException) when (!ct.IsCancellationRequested)
                {
                    yield break;
                }
                if (line is null) yield break;
                if (line.Length == 0)
                {
                    if (data.Length > 0 || name is not null)
                        yield return new ServerSentEvent(name ?? "message", data.ToString());
                    name = null;
                    data.Clear();
                    continue;
                }
                if (line.StartsWith(':')) continue; // a comment: keep-alive
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' ')) value = value[1..];
                switch (field)
                {
                    case "event": name = value; break;
                    case "data":
                        if (data.Length > 0) data.Append('\n');
                        data.Append(value);
                        break;
                }
            }
        }
    }
}
