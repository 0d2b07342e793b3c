using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Pharos.Actors.Ingest;

namespace Pharos.Testing.Net;

/// <summary>
/// Name resolution the test controls, for the validators of nodes it runs in its own process: the machine running the
/// tests may have no DNS at all, and the validator refuses a name that does not resolve. Every name answers
/// <see cref="PublicAddress"/> unless the test maps it to other addresses or makes it unresolvable.
/// </summary>
public sealed class TestDns
{
    /// <summary>203.0.113.10 (TEST-NET-3, RFC 5737): public to the validator, routed nowhere.</summary>
    public static readonly IPAddress PublicAddress = IPAddress.Parse("203.0.113.10");

    // null: the name does not resolve.
    private readonly ConcurrentDictionary<string, IPAddress[]?> _names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every name resolves to <see cref="PublicAddress"/>.</summary>
    public static HostResolver AllPublic { get; } = new TestDns().Resolver;

    /// <summary><paramref name="host"/> resolves to <paramref name="addresses"/> from now on.</summary>
    public TestDns Map(string host, params IPAddress[] addresses)
    {
        _names[host] = addresses;
        return this;
    }

    /// <summary><paramref name="host"/> does not resolve from now on (as a name unknown to DNS).</summary>
    public TestDns Unresolvable(string host)
    {
        _names[host] = null;
        return this;
    }

    public HostResolver Resolver => (host, _) => _names.TryGetValue(host, out var addresses)
        ? addresses is null
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))
            : Task.FromResult(addresses)
        : Task.FromResult(new[] { PublicAddress });
}
