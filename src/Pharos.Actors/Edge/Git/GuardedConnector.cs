using System.Net;
using System.Net.Sockets;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Edge.Git;

/// <summary>
/// Resolves a repository host and connects to it, checking the addresses it is about to use: an internal address
/// (loopback, private, link-local, ... see <see cref="InternalAddresses"/>) is refused unless the request allows
/// them, and a name that does not resolve, or not in time, is refused too (fail closed). Checking the addresses
/// actually connected to is what defeats DNS rebinding: whatever an earlier check saw, this one decides.
/// </summary>
internal static class GuardedConnector
{
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The addresses <paramref name="host"/> stands for, each one allowed; throws <see cref="CloneFailedException"/>.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CloneRequest request, CancellationToken ct)
    {
        var name = host.Trim('[', ']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(name, out var literal)) addresses = [literal];
        else if (Pinned(name, request) is { } pinned)
        {
            addresses = IPAddress.TryParse(pinned, out var address)
                ? [address]
                : throw new CloneFailedException($"the address pinned for {name} is not an IP address", transient: false,
                    kind: CloneFailureKind.Refused);
        }
        else addresses = await LookUpAsync(name, ct).ConfigureAwait(false);

        if (addresses.Length == 0)
            throw new CloneFailedException($"could not resolve {name}: no addresses", transient: true, kind: CloneFailureKind.Refused);
        if (!request.AllowInternalAddresses && addresses.Any(InternalAddresses.IsInternal))
            throw new CloneFailedException($"refused to connect to {name}: it resolves to an internal address",
                transient: false, kind: CloneFailureKind.Refused);
        return addresses;
    }

    /// <summary>A TCP connection to one of <paramref name="endPoint"/>'s checked addresses, tried in order.</summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CloneRequest request, CancellationToken ct)
    {
        var addresses = await ResolveAsync(endPoint.Host, request, ct).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    private static string? Pinned(string name, CloneRequest request) =>
        request.PinnedAddresses?.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static async Task<IPAddress[]> LookUpAsync(string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ResolveTimeout);
        try
        {
            return await Dns.GetHostAddressesAsync(name, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CloneFailedException($"could not resolve {name} within {ResolveTimeout.TotalSeconds:0} s",
                transient: true, kind: CloneFailureKind.Refused);
        }
        catch (SocketException e)
        {
            throw new CloneFailedException($"could not resolve {name}: {e.Message}", transient: true, e,
                CloneFailureKind.Refused);
        }
    }
}
