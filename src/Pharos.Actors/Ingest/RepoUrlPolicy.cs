using Pharos.Actors.Configuration;

namespace Pharos.Actors.Ingest;

/// <summary>
/// Which repository URLs a <see cref="RepoUrlValidator"/> accepts: hosts, schemes, and whether local repositories
/// (paths, file://, loopback servers) are allowed. The cloud's policy is read from its settings; an edge states its own
/// with <see cref="ForEdge"/>.
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
        { Setting.Bool("PHAROS_ALLOW_LOCAL_REPOS", "AllowLocalRepos"), (o, v) => o with { AllowLocalRepos = v } },
    };

    public static RepoUrlPolicy Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private RepoUrlPolicy() { }

    /// <summary>Host names, lower case; <see cref="AnyHost"/> allows every host.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = null!;
    public IReadOnlyList<string> AllowedSchemes { get; init; } = null!;
    /// <summary>Development and tests only.</summary>
    public bool AllowLocalRepos { get; init; }

    /// <summary>
    /// An edge re-checks where a host resolves before it clones (DNS may answer it differently than the cloud's), but
    /// which hosts and schemes are allowed is the cloud's decision, made at submission.
    /// </summary>
    public static RepoUrlPolicy ForEdge(bool allowLocalRepos) =>
        Default with { AllowedHosts = [AnyHost], AllowedSchemes = KnownSchemes, AllowLocalRepos = allowLocalRepos };

    private static string KnownScheme(string text)
    {
        var scheme = text.ToLowerInvariant();
        return KnownSchemes.Contains(scheme)
            ? scheme
            : throw new FormatException($"may name {Setting.Alternatives(KnownSchemes, "and")}; got '{scheme}'.");
    }
}
