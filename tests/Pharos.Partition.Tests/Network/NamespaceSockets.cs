using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Pharos.Partition.Tests.Network;

/// <summary>
/// Sockets that live in a host's network namespace, made by the test process itself: a thread of its own enters the
/// namespace (setns, which a network namespace allows in a multi-threaded process) and creates every socket asked
/// of it there; a socket stays in the namespace it was created in, whichever thread uses it afterwards. So the test's
/// HTTP clients are hosts of the test network like any other: what cuts a node off cuts them off too.
/// </summary>
public sealed class NamespaceSockets : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = new();
    private readonly Thread _thread;

    public NetHost Host { get; }

    public NamespaceSockets(NetHost host)
    {
        Host = host;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Serve(entered)) { IsBackground = true, Name = $"netns {host.Name}" };
        _thread.Start();
        entered.Task.GetAwaiter().GetResult();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    private void Serve(TaskCompletionSource entered)
    {
        try
        {
            using var handle = File.OpenHandle($"/var/run/netns/{Host.Namespace}");
            if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                throw new InvalidOperationException($"setns into {Host.Namespace} failed: errno {Marshal.GetLastPInvokeError()}");
            entered.SetResult();
        }
        catch (Exception e)
        {
            entered.SetException(e);
            return;
        }
        foreach (var request in _requests.GetConsumingEnumerable())
        {
            try { request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }); }
            catch (Exception e) { request.SetException(e); }
        }
    }

    public Task<Socket> CreateAsync()
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request);
        return request.Task;
    }

    /// <summary>An HttpClient whose connections start in this namespace. Short timeouts: a cut link is a timeout.</summary>
    public HttpClient HttpClient(Uri baseAddress, string? bearer, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(3),
            // A pooled connection over a link that was cut would hang its next request until the timeout.
            PooledConnectionLifetime = TimeSpan.FromSeconds(5),
            ConnectCallback = async (context, token) =>
            {
                var socket = await CreateAsync();
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    public void Dispose() => _requests.CompleteAdding();
}
