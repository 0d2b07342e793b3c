using System.Net;

namespace Pharos.Actors.Configuration;

/// <summary>
/// Who may call the cloud's HTTP API: the token sources, whether reads need a token, the failure limit, and how many
/// live connections (WebSocket and event stream of the status) the node holds open in all and per client address.
/// </summary>
public sealed record AuthSettings
{
    // Named apart from the table (and before it: static fields start in order) because a 429 names them.
    public static readonly Setting<int> MaxLiveConnectionsSetting =
        Setting.Int("PHAROS_MAX_LIVE_CONNECTIONS", "MaxLiveConnections", 200, 1, 100_000);
    public static readonly Setting<int> MaxLiveConnectionsPerAddressSetting =
        Setting.Int("PHAROS_MAX_LIVE_CONNECTIONS_PER_ADDRESS", "MaxLiveConnectionsPerAddress", 50, 1, 100_000);

    public static readonly SettingsTable<AuthSettings> Table = new(new AuthSettings())
    {
        { Setting.Text("PHAROS_ADMIN_TOKEN", "AdminToken"), (o, v) => o with { AdminToken = v } },
        { Setting.Text("PHAROS_TOKENS_FILE", "TokensFile"), (o, v) => o with { TokensFile = v } },
        { Setting.Bool("PHAROS_REQUIRE_READ_TOKEN", "RequireReadToken"), (o, v) => o with { RequireReadToken = v } },
        { Setting.Int("PHAROS_AUTH_FAILURES_PER_MINUTE", "AuthFailuresPerMinute", 30, 0, 1_000_000), (o, v) => o with { AuthFailuresPerMinute = v } },
        { Setting.List<IPAddress>("PHAROS_TRUSTED_PROXIES", "TrustedProxies", [], ProxyAddress), (o, v) => o with { TrustedProxies = v } },
        { MaxLiveConnectionsSetting, (o, v) => o with { MaxLiveConnections = v } },
        { MaxLiveConnectionsPerAddressSetting, (o, v) => o with { MaxLiveConnectionsPerAddress = v } },
    };

    public static AuthSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private AuthSettings() { }

    /// <summary>The token with every scope; a secret, never printed.</summary>
    public string? AdminToken { get; init; }
    public string? TokensFile { get; init; }
    public bool RequireReadToken { get; init; }
    /// <summary>Requests without a valid token one client address may make a minute on routes that need one (0: no limit).</summary>
    public int AuthFailuresPerMinute { get; init; }
    /// <summary>Reverse proxies whose X-Forwarded-For names the real client (for the per-client limit and the logs).</summary>
    public IReadOnlyList<IPAddress> TrustedProxies { get; init; } = null!;
    /// <summary>Live status connections (WebSocket and event stream) open at once on this node, from all clients.</summary>
    public int MaxLiveConnections { get; init; }
    /// <summary>Live status connections open at once from one client address (behind a proxy: see TrustedProxies).</summary>
    public int MaxLiveConnectionsPerAddress { get; init; }

    private static IPAddress ProxyAddress(string text) =>
        IPAddress.TryParse(text, out var address)
            ? address
            : throw new FormatException($"must list IP addresses separated by commas; got '{text}'.");

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"AdminToken = {(AdminToken is null ? "off" : "on")}, TokensFile = {TokensFile}, RequireReadToken = {RequireReadToken}, ");
        builder.Append($"AuthFailuresPerMinute = {AuthFailuresPerMinute}, TrustedProxies = [{string.Join(", ", TrustedProxies)}], ");
        builder.Append($"MaxLiveConnections = {MaxLiveConnections}, MaxLiveConnectionsPerAddress = {MaxLiveConnectionsPerAddress}");
        return true;
    }
}
