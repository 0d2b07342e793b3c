using System.Net.ServerSentEvents;
using Pharos.CloudNode.Api;

namespace Pharos.CloudNode.Tests;

/// <summary>The event-stream bytes the node writes, read back with .NET's own parser.</summary>
public sealed class ServerSentEventsProperties
{
    private static List<SseItem<string>> Parse(params byte[][] frames) =>
        SseParser.Create(new MemoryStream(frames.SelectMany(f => f).ToArray())).Enumerate().ToList();

    private static readonly Gen<string> Names = Gen.Elements("status", "member", "message-x");

    /// <summary>Any text, line breaks of every kind included: what JSON may hold once indented, and more.</summary>
    private static readonly Gen<string> Data =
        Gen.Elements('a', 'z', ' ', ':', '{', '"', 'é', '\n', '\r').ArrayOf().Select(chars => new string(chars));

    [Property(MaxTest = 300)]
    public Property An_event_reads_back_as_its_name_and_data_with_keep_alives_around_it_skipped() =>
        Prop.ForAll(Names.ToArbitrary(), Data.ToArbitrary(), (name, data) =>
        {
            var items = Parse(ServerSentEvents.KeepAlive, ServerSentEvents.Frame(name, data), ServerSentEvents.KeepAlive);
            // A reader sees one line break, \n, for each \r\n, \r or \n the data had.
            var expected = data.Replace("\r\n", "\n").Replace('\r', '\n');
            return items.Count == 1 && items[0].EventType == name && items[0].Data == expected;
        });

    [Fact]
    public void Frames_are_the_bytes_the_dashboard_and_older_clients_expect()
    {
        Assert.Equal("event: status\ndata: {\"a\":1}\n\n"u8.ToArray(), ServerSentEvents.Frame("status", "{\"a\":1}"));
        Assert.Equal(": keep-alive\n\n"u8.ToArray(), ServerSentEvents.KeepAlive);
    }
}
