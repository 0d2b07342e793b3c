using System.Net;

namespace Pharos.Partition.Tests.Network;

/// <summary>One host of a <see cref="TestNetwork"/>: a network namespace whose eth0 is on the test's bridge.</summary>
/// <param name="HubLink">The host's end of the veth pair, in the hub namespace: down cuts the host off from everyone.</param>
public sealed record NetHost(string Name, string Namespace, IPAddress Address, string HubLink)
{
    public override string ToString() => $"{Name} ({Address})";
}

/// <summary>
/// A network of its own for one test: a hub namespace holding a bridge, and one namespace per host joined to the
/// bridge by a veth pair, addressed in 203.0.113.0/24 (TEST-NET-3, for documentation: routed nowhere, and public to the
/// nodes' repository URL rules, which refuse private addresses). The addresses exist only inside these namespaces, so
/// nothing reaches any other network, and two tests' networks never meet. Host names (<see cref="AddName"/>) are
/// written to each later host's <c>/etc/netns/{namespace}/hosts</c>, which <c>ip netns exec</c> shows its programs
/// as <c>/etc/hosts</c>. Every host gets an nftables table with an input and
/// an output chain that <see cref="Nemesis"/> fills to cut single links or one direction.
/// </summary>
/// <remarks>
/// Namespaces are named <c>pharos-{test host pid}-{id}-{host}</c>: one left behind by a test host that died (kill -9)
/// is deleted by the next network made on the machine.
/// </remarks>
public sealed class TestNetwork : IAsyncDisposable
{
    private const string Subnet = "203.0.113";
    private const string Prefix = "pharos-";
    private static int _networks;

    private readonly string _id;
    private readonly List<NetHost> _hosts = [];
    private readonly List<(string Name, IPAddress Address)> _names = [];
    private readonly object _gate = new();
    private int _disposed;

    public string Hub { get; }

    private TestNetwork(string id)
    {
        _id = id;
        Hub = $"{Prefix}{Environment.ProcessId}-{id}-hub";
    }

    public IReadOnlyList<NetHost> Hosts { get { lock (_gate) return _hosts.ToList(); } }

    /// <summary>Why namespaces cannot be made here (not root, no iproute2 or nftables, no permission), or null.</summary>
    public static readonly Lazy<string?> Unavailable = new(Probe);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces are Linux only";
        if (!Shell.OnPath("ip")) return "`ip` (iproute2) is not installed";
        if (!Shell.OnPath("nft")) return "`nft` (nftables) is not installed";
        var probe = $"{Prefix}{Environment.ProcessId}-probe";
        try
        {
            Shell.IpAsync("netns", "add", probe).GetAwaiter().GetResult();
            Shell.RunAsync("ip", ["netns", "exec", probe, "nft", "list", "ruleset"]).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return $"network namespaces cannot be made here ({e.Message.Trim()}); run as root with iproute2 and nftables";
        }
        finally
        {
            _ = Shell.RunAsync("ip", ["netns", "del", probe], check: false).GetAwaiter().GetResult();
        }
    }

    public static async Task<TestNetwork> CreateAsync()
    {
        await DeleteOrphansAsync();
        var network = new TestNetwork($"{Environment.ProcessId % 100:D2}{Interlocked.Increment(ref _networks) % 100:D2}");
        await Shell.IpAsync("netns", "add", network.Hub);
        await Shell.IpAsync("-n", network.Hub, "link", "add", "br0", "type", "bridge");
        await Shell.IpAsync("-n", network.Hub, "link", "set", "br0", "up");
        return network;
    }

    /// <summary>Namespaces of test hosts that no longer run (the pid in the name is gone).</summary>
    private static async Task DeleteOrphansAsync()
    {
        var list = await Shell.RunAsync("ip", ["netns", "list"], check: false);
        foreach (var name in list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]))
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
            var pid = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, out var p) && !Directory.Exists($"/proc/{p}"))
            {
                await Shell.RunAsync("ip", ["netns", "del", name], check: false);
                try { Directory.Delete(EtcDirectory(name), recursive: true); } catch (IOException) { }
            }
        }
    }

    /// <summary><paramref name="name"/> resolves to <paramref name="address"/> on every host added from now on.</summary>
    public void AddName(string name, IPAddress address)
    {
        lock (_gate) _names.Add((name, address));
    }

    private static string EtcDirectory(string ns) => Path.Combine("/etc/netns", ns);

    /// <summary>A new host on the bridge, with loopback and eth0 up and its nftables chains empty.</summary>
    public async Task<NetHost> AddHostAsync(string name)
    {
        int index;
        lock (_gate) index = _hosts.Count + 1;
        var ns = $"{Prefix}{Environment.ProcessId}-{_id}-{name}";
        // Interface names are at most 15 characters: "pv" + network id + host index.
        var hubLink = $"pv{_id}h{index}";
        var host = new NetHost(name, ns, IPAddress.Parse($"{Subnet}.{10 + index}"), hubLink);
        await Shell.IpAsync("netns", "add", ns);
        lock (_gate) _hosts.Add(host);
        Directory.CreateDirectory(EtcDirectory(ns));
        string names;
        lock (_gate) names = string.Concat(_names.Select(n => $"{n.Address} {n.Name}\n"));
        await File.WriteAllTextAsync(Path.Combine(EtcDirectory(ns), "hosts"), $"127.0.0.1 localhost\n{names}");
        await Shell.IpAsync("-n", Hub, "link", "add", hubLink, "type", "veth", "peer", "name", "eth0", "netns", ns);
        await Shell.IpAsync("-n", Hub, "link", "set", hubLink, "master", "br0", "up");
        await Shell.IpAsync("-n", ns, "addr", "add", $"{host.Address}/24", "dev", "eth0");
        await Shell.IpAsync("-n", ns, "link", "set", "eth0", "up");
        await Shell.IpAsync("-n", ns, "link", "set", "lo", "up");
        await Shell.NftAsync(ns, """
            table inet pharos {
              chain input { type filter hook input priority 0; policy accept; }
              chain output { type filter hook output priority 0; policy accept; }
            }
            """);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        foreach (var host in Hosts)
        {
            await Shell.RunAsync("ip", ["netns", "del", host.Namespace], check: false);
            try { Directory.Delete(EtcDirectory(host.Namespace), recursive: true); } catch (IOException) { }
        }
        await Shell.RunAsync("ip", ["netns", "del", Hub], check: false);
    }
}
