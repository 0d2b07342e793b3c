using System.Globalization;
using Pharos.Actors.Configuration;

namespace Pharos.Actors.Ingest;

/// <summary>
/// Which repository URLs a <see cref="RepoUrlValidator"/> accepts: hosts, schemes, ports, and whether local
/// repositories (paths, file://, loopback servers) are allowed. Read from the node's settings: the cloud checks every
/// submission with it, and every edge checks every task again with its own before it clones.
/// </summary>
public sealed record RepoUrlPolicy
{
    /// <summary>An allowed host that stands for every host.</summary>
    public const string AnyHost = "*";
    public static readonly IReadOnlyList<string> KnownSchemes = ["https", "http", "git", "ssh"];

    public static readonly SettingsTable<RepoUrlPolicy> Table = new(new RepoUrlPolicy())
    {
        { Setting.List("PHAROS_ALLOWED_HOSTS", "AllowedHosts", ["github.com", "gitlab.com", "bitbucket.org", "gitee.com"], host => host.ToLowerInvariant()),
            (o, v) => o with { AllowedHosts = v } },
        { Setting.List("PHAROS_ALLOWED_SCHEMES", "AllowedSchemes", ["https"], KnownScheme), (o, v) => o with { AllowedSchemes = v } },
        { Setting.List<int>("PHAROS_ALLOWED_PORTS", "AllowedPorts", [], PortNumber), (o, v) => o with { AllowedPorts = v } },
        { Setting.Bool("PHAROS_ALLOW_LOCAL_REPOS", "AllowLocalRepos"), (o, v) => o with { AllowLocalRepos = v } },
    };

    public static RepoUrlPolicy Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private RepoUrlPolicy() { }

    /// <summary>Host names, lower case; <see cref="AnyHost"/> allows every host.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = null!;
    public IReadOnlyList<string> AllowedSchemes { get; init; } = null!;
    /// <summary>
    /// Ports a URL may name with any allowed scheme besides that scheme's own (<see cref="DefaultPort"/>, always
    /// allowed). None by default.
    /// </summary>
    public IReadOnlyList<int> AllowedPorts { get; init; } = null!;
    /// <summary>Development and tests only.</summary>
    public bool AllowLocalRepos { get; init; }

    /// <summary>The port a URL of <paramref name="scheme"/> means when it names none.</summary>
    public static int DefaultPort(string scheme) => scheme switch
    {
        "https" => 443,
        "http" => 80,
        "git" => 9418,
        "ssh" => 22,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Not a scheme a repository URL may have."),
    };

    private static string KnownScheme(string text)
    {
        var scheme = text.ToLowerInvariant();
        return KnownSchemes.Contains(scheme)
            ? scheme
            : throw new FormatException($"may name {Setting.Alternatives(KnownSchemes, "and")}; got '{scheme}'.");
    }

    private static int PortNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65_535
            ? port
            : throw new FormatException($"must list ports from 1 to 65535; got '{text}'.");
}
