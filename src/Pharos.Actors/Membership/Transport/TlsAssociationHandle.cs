using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace Pharos.Actors.Membership.Transport;

/// <summary>
/// One TLS connection of <see cref="MutualTlsTransport"/>: frames of a 4-byte big-endian length and the payload. Writes
/// queue and one loop writes them; reads start once Akka.Remote registers its listener.
/// </summary>
internal sealed class TlsAssociationHandle : AssociationHandle
{
    // Past this much queued for a peer that does not read, Write answers false and Akka.Remote buffers and retries
    // (its backoff): a slow peer does not grow this node's memory without bound.
    private const long MaxQueuedBytes = 8 * 1024 * 1024;

    private readonly SslStream _stream;
    private readonly int _maxFrame;
    private readonly ILoggingAdapter _log;
    private readonly Action<TlsAssociationHandle> _forget;
    private readonly Channel<ByteString> _outbox = Channel.CreateUnbounded<ByteString>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queuedBytes;
    private int _closing;
    private int _disposed;

    public TlsAssociationHandle(Address localAddress, Address remoteAddress, SslStream stream, int maxFrame, ILoggingAdapter log,
        Action<TlsAssociationHandle> forget) : base(localAddress, remoteAddress)
    {
        _stream = stream;
        _maxFrame = maxFrame;
        _log = log;
        _forget = forget;
        _ = WriteLoop();
        ReadHandlerSource.Task.ContinueWith(registered => _ = ReadLoop(registered.Result), TaskContinuationOptions.OnlyOnRanToCompletion);
    }

    /// <summary>Set once by the transport, which keeps its connections by it.</summary>
    public long Id { get; set; }

    /// <summary>Completes once the connection is closed and its resources released.</summary>
    public Task Closed => _closed.Task;

    public override bool Write(ByteString payload)
    {
        if (Volatile.Read(ref _closing) != 0 || Interlocked.Read(ref _queuedBytes) > MaxQueuedBytes) return false;
        Interlocked.Add(ref _queuedBytes, payload.Length);
        return _outbox.Writer.TryWrite(payload);
    }

    /// <summary>Writes what is queued, says goodbye in TLS (close_notify), then closes.</summary>
    [Obsolete("Use the method that states reasons to make sure disassociation reasons are logged.")]
    public override void Disassociate()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0) _outbox.Writer.TryComplete();
    }

    private async Task WriteLoop()
    {
        var header = new byte[4];
        // Frames are small and many: gathered in one buffer, they leave in one TLS record per flush, not two per frame.
        var buffered = new BufferedStream(_stream, 64 * 1024);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (_outbox.Reader.TryRead(out var payload))
                {
                    BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
                    await buffered.WriteAsync(header).ConfigureAwait(false);
                    await buffered.WriteAsync(payload.Memory).ConfigureAwait(false);
                    Interlocked.Add(ref _queuedBytes, -payload.Length);
                }
                await buffered.FlushAsync().ConfigureAwait(false);
            }
            await _stream.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionEnd(e))
        {
            // The connection ended under the write: the read loop reports it.
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task ReadLoop(IHandleEventListener listener)
    {
        var header = new byte[4];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header).ConfigureAwait(false);
                var length = BinaryPrimitives.ReadInt32BigEndian(header);
                if (length < 0 || length > _maxFrame)
                {
                    _log.Warning("Closed the cluster connection with {0}: it announced a frame of {1} bytes, above maximum-frame-size ({2})",
                        RemoteAddress, length, _maxFrame);
                    break;
                }
                var frame = GC.AllocateUninitializedArray<byte>(length);
                await _stream.ReadExactlyAsync(frame).ConfigureAwait(false);
                listener.Notify(new InboundPayload(UnsafeByteOperations.UnsafeWrap(frame)));
            }
        }
        catch (Exception e) when (IsConnectionEnd(e))
        {
            // The peer closed, the connection broke, or this side closed it.
        }
        await CloseAsync().ConfigureAwait(false);
        listener.Notify(new Disassociated(DisassociateInfo.Unknown));
    }

    private async Task CloseAsync()
    {
        Interlocked.Exchange(ref _closing, 1);
        _outbox.Writer.TryComplete();
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stream.DisposeAsync().ConfigureAwait(false);
        _forget(this);
        _closed.TrySetResult();
    }

    private static bool IsConnectionEnd(Exception e) =>
        e is IOException or EndOfStreamException or ObjectDisposedException or SocketException or AuthenticationException
            or TimeoutException or InvalidOperationException;
}
