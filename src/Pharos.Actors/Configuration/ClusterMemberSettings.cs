using System.Net;
using Pharos.Actors.Hosting;

namespace Pharos.Actors.Configuration;

/// <summary>How this node joins the cluster: its address, the seeds, mutual TLS, and how long an unreachable member lasts.</summary>
public sealed record ClusterMemberSettings
{
    /// <summary>Rows apply in order: the password row loads the certificate named above it, the insecure row checks the
    /// host against what TLS decides, and the seeds are checked against the scheme that TLS decides.</summary>
    public static readonly SettingsTable<ClusterMemberSettings> Table = new(new ClusterMemberSettings())
    {
        { Setting.Text("PHAROS_CLUSTER_HOST", "ClusterHost", "127.0.0.1"), (o, v) => o with { ClusterHost = v } },
        { Setting.OptionalInt("PHAROS_CLUSTER_PORT", "ClusterPort", 0, 65_535), (o, v) => o with { ClusterPort = v } },
        { Setting.Text("PHAROS_TLS_CERT", "TlsCert"), (o, v) => o with { TlsCert = v } },
        { Setting.Text("PHAROS_TLS_CA", "TlsCa"), (o, v) => o with { TlsCa = v } },
        // The password opens the PFX here and is not kept.
        { Setting.Text("PHAROS_TLS_CERT_PASSWORD", "TlsCertPassword"), (o, v) => o with { Tls = ClusterTls.Load(o.TlsCert, v, o.TlsCa) } },
        { Setting.Bool("PHAROS_CLUSTER_INSECURE", "ClusterInsecure"), (o, v) => o with { Insecure = OpenWithoutTls(o.ClusterHost, o.Tls, v) } },
        { Setting.List("PHAROS_SEEDS", "Seeds", [], seed => seed), (o, v) => o with { Seeds = CheckScheme(v, o.Tls) } },
        { Setting.Seconds("PHAROS_DOWN_AFTER_SECONDS", "DownAfterSeconds", 15, 1, 3600), (o, v) => o with { DownAfter = v } },
    };

    public static ClusterMemberSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private ClusterMemberSettings() { }

    public string ClusterHost { get; init; } = null!;
    /// <summary>Null means the role's default: 4053 on the cloud, 0 (any free port) on an edge.</summary>
    public int? ClusterPort { get; init; }
    /// <summary>Nodes to join, as host:port or full akka addresses; none: a cloud forms its own cluster.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = null!;
    /// <summary>How long a member must stay unreachable before the split brain resolver downs it.</summary>
    public TimeSpan DownAfter { get; init; }
    /// <summary>PHAROS_TLS_CERT and PHAROS_TLS_CA as given (for messages); <see cref="Tls"/> holds what they load.</summary>
    public string? TlsCert { get; init; }
    public string? TlsCa { get; init; }
    /// <summary>Mutual TLS on the cluster port, or null (plain akka.tcp).</summary>
    public ClusterTls? Tls { get; init; }
    /// <summary>
    /// The cluster port listens beyond this machine without mutual TLS, which only PHAROS_CLUSTER_INSECURE=true allows:
    /// any peer that reaches it can join. Logged at start and shown by GET /cluster/members.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>
    /// Loopback only for a literal loopback address (127.0.0.0/8, ::1) or `localhost`; any other name may resolve to
    /// anything, and 0.0.0.0 or :: listen on every interface.
    /// </summary>
    public static bool IsLoopback(string host)
    {
        var bare = host.Trim().TrimStart('[').TrimEnd(']');
        if (string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        if (!IPAddress.TryParse(bare, out var address)) return false;
        return IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
    }

    /// <summary>
    /// The one rule of an open cluster port: Akka.Remote trusts whatever connects to it, so a node whose port is
    /// reachable from other machines refuses to start without mutual TLS, unless <paramref name="allowed"/>
    /// (PHAROS_CLUSTER_INSECURE). True when the port is open that way.
    /// </summary>
    private static bool OpenWithoutTls(string host, ClusterTls? tls, bool allowed)
    {
        if (tls is not null || IsLoopback(host)) return false;
        if (!allowed)
            throw new SettingsException($"PHAROS_CLUSTER_HOST is {host}, not a loopback address, so the cluster port needs " +
                                        "mutual TLS: set PHAROS_TLS_CERT, PHAROS_TLS_CERT_PASSWORD and PHAROS_TLS_CA (`pharos certs " +
                                        "create-ca`, then `pharos certs issue` for each node), or PHAROS_CLUSTER_INSECURE=true to let " +
                                        "any peer that reaches the port join.");
        return true;
    }

    /// <summary>
    /// This node as a member with <paramref name="role"/>: with mutual TLS, its certificate must grant that role
    /// (a <see cref="SettingsException"/> otherwise, so the node exits before it joins).
    /// </summary>
    public void RequireRole(string role) => Tls?.RequireRole(role, TlsCert!);

    /// <summary>The warning a node with <see cref="Insecure"/> logs at start.</summary>
    public string InsecureWarning =>
        $"PHAROS_CLUSTER_INSECURE=true: the cluster port listens on {ClusterHost} without mutual TLS; any peer that reaches " +
        "it can join the cluster, send the queue commands and receive tasks. Set PHAROS_TLS_CERT, PHAROS_TLS_CERT_PASSWORD " +
        "and PHAROS_TLS_CA to close it.";

    /// <summary>A full address with the other scheme would never connect: say so now rather than time out joining.</summary>
    private static IReadOnlyList<string> CheckScheme(IReadOnlyList<string> seeds, ClusterTls? tls)
    {
        var scheme = PharosAkkaHosting.Protocol(tls is not null) + "://";
        var wrong = seeds.FirstOrDefault(s => s.Contains("://", StringComparison.Ordinal) && !s.StartsWith(scheme, StringComparison.Ordinal));
        return wrong is null
            ? seeds
            : throw new SettingsException($"PHAROS_SEEDS: '{wrong}' does not start with {scheme}" +
                                          (tls is null ? " (PHAROS_TLS_CERT is not set)." : " (mutual TLS is on)."));
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Cluster = {ClusterHost}:{ClusterPort}, Seeds = [{string.Join(", ", Seeds)}], DownAfter = {DownAfter}, ");
        builder.Append($"Tls = {(Tls is null ? "off" : $"{TlsCert} (CA {TlsCa})")}, Insecure = {Insecure}");
        return true;
    }
}
