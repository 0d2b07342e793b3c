using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pharos.Bench.Results;

/// <summary>
/// The delivery bench's baseline: the same bytes copied over one plain TCP connection on loopback, with nothing of
/// Pharos on either side. Framing: an int64 length, then the bytes. The sink (<c>tcp-sink</c>, a process of its own)
/// writes them to a new file, fsyncs it, and answers one byte; the copy is timed from opening the source file to that byte.
/// </summary>
public static class TcpCopy
{
    private const int BufferSize = 64 * 1024;

    /// <summary>The sink: listens on a free loopback port (printed as <c>listening PORT</c>) until SIGTERM.</summary>
    public static async Task<int> ServeAsync(Options options)
    {
        var directory = options.Required("dir");
        Directory.CreateDirectory(directory);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        Console.WriteLine($"listening {((IPEndPoint)listener.LocalEndpoint).Port}");
        var copies = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                client.NoDelay = true;
                await using var stream = client.GetStream();
                var buffer = new byte[BufferSize];
                while (await ReadLengthAsync(stream, buffer, stop.Token) is { } length)
                {
                    var path = Path.Combine(directory, $"copy-{++copies}.bin");
                    await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize))
                    {
                        for (var left = length; left > 0;)
                        {
                            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), stop.Token);
                            if (read == 0) throw new EndOfStreamException($"the copy ended {left} bytes early");
                            await file.WriteAsync(buffer.AsMemory(0, read), stop.Token);
                            left -= read;
                        }
                        file.Flush(flushToDisk: true);
                    }
                    await stream.WriteAsync(new byte[] { 1 }, stop.Token);
                    File.Delete(path);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        listener.Stop();
        return 0;
    }

    private static async Task<long?> ReadLengthAsync(NetworkStream stream, byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < sizeof(long))
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, sizeof(long) - read), ct);
            if (n == 0) return null;
            read += n;
        }
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    /// <summary>One connection to the sink, kept open across copies (as the cluster's association is).</summary>
    public sealed class Client : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly byte[] _buffer = new byte[BufferSize];

        private Client(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
        }

        public static async Task<Client> ConnectAsync(int port)
        {
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            return new Client(tcp);
        }

        /// <summary>Milliseconds from opening <paramref name="path"/> to the sink's answer that the copy is on its disk.</summary>
        public async Task<double> CopyAsync(string path)
        {
            var started = Stopwatch.GetTimestamp();
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize))
            {
                BinaryPrimitives.WriteInt64LittleEndian(_buffer, file.Length);
                await _stream.WriteAsync(_buffer.AsMemory(0, sizeof(long)));
                int read;
                while ((read = await file.ReadAsync(_buffer)) > 0) await _stream.WriteAsync(_buffer.AsMemory(0, read));
            }
            if (await _stream.ReadAsync(_buffer.AsMemory(0, 1)) != 1) throw new BenchException("the TCP sink closed the connection");
            return Stats.Ms(Stopwatch.GetTimestamp() - started);
        }

        public void Dispose()
        {
            _stream.Dispose();
            _tcp.Dispose();
        }
    }
}
