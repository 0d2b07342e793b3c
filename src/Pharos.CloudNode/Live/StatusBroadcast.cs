using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pharos.Actors.Status;
using Pharos.CloudNode.Api;

namespace Pharos.CloudNode.Live;

/// <summary>
/// One status view as the live connections send it, serialized once for all of them: the JSON of `GET /worker/status`
/// (a WebSocket text message) and the same JSON as an `event: status` frame (the event stream).
/// </summary>
public sealed record SerializedStatus(byte[] Json, byte[] EventFrame);

/// <summary>
/// The status views for every live connection. <see cref="StatusBroadcaster"/> hands over each view the tracker
/// pushes; it is serialized here once and the same bytes go to every connection's own buffer. A connection gets the
/// current view when it subscribes.
/// A view is the whole state, so a connection that has not sent the previous view yet needs only the newest: each
/// buffer holds <see cref="ConnectionBuffer"/> view and drops the oldest when a newer one comes. Publishing never waits
/// for a connection, so a slow client holds up nobody and costs at most one view besides the one it is sending.
/// </summary>
public sealed class StatusBroadcast(IOptions<JsonOptions> json)
{
    public const string EventName = "status";

    /// <summary>Views waiting to be sent, per connection; past it the oldest is dropped (drop-oldest, never a disconnect).</summary>
    public const int ConnectionBuffer = 1;

    private static readonly BoundedChannelOptions BufferOptions = new(ConnectionBuffer)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        // Every write happens under _gate.
        SingleWriter = true,
    };

    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;
    private readonly Lock _gate = new();
    private readonly HashSet<ChannelWriter<SerializedStatus>> _connections = [];
    private SerializedStatus? _current;
    private bool _ended;
    private long _serialized;

    /// <summary>How many views were serialized since the node started: one per view, whatever the number of connections.</summary>
    public long ViewsSerialized => Interlocked.Read(ref _serialized);

    /// <summary>Serializes <paramref name="view"/> once and puts it in every connection's buffer.</summary>
    public void Publish(WorkerStatusView view)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(view.ToDto(), _options);
        Interlocked.Increment(ref _serialized);
        var serialized = new SerializedStatus(body, ServerSentEvents.Frame(EventName, Encoding.UTF8.GetString(body)));
        // Under the lock, so that a connection subscribing meanwhile gets this view after the one it started with.
        lock (_gate)
        {
            if (_ended) return;
            _current = serialized;
            foreach (var connection in _connections) connection.TryWrite(serialized);
        }
    }

    /// <summary>A connection's feed: the current view at once (when there is one), then every newer view.</summary>
    public StatusSubscription Subscribe()
    {
        var buffer = Channel.CreateBounded<SerializedStatus>(BufferOptions);
        lock (_gate)
        {
            if (_ended)
            {
                buffer.Writer.TryComplete();
            }
            else
            {
                _connections.Add(buffer.Writer);
                if (_current is { } now) buffer.Writer.TryWrite(now);
            }
        }
        return new StatusSubscription(this, buffer);
    }

    internal void Unsubscribe(ChannelWriter<SerializedStatus> connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            connection.TryComplete();
        }
    }

    /// <summary>No more views will come (the node stops): every feed ends, and so does any later one at once.</summary>
    public void End()
    {
        lock (_gate)
        {
            _ended = true;
            foreach (var connection in _connections) connection.TryComplete();
            _connections.Clear();
        }
    }
}

/// <summary>One connection's feed of <see cref="StatusBroadcast"/>; disposing it leaves the broadcast.</summary>
public sealed class StatusSubscription(StatusBroadcast broadcast, Channel<SerializedStatus> buffer) : IDisposable
{
    /// <summary>Completes when the broadcast ends or the subscription is disposed.</summary>
    public ChannelReader<SerializedStatus> Views => buffer.Reader;

    public void Dispose() => broadcast.Unsubscribe(buffer.Writer);
}
