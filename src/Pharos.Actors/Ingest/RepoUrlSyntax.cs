using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pharos.Actors.Ingest;

/// <summary>
/// The syntax rules for a repository URL, with no I/O: schemes, hosts, credentials, characters, paths, and the
/// normal form (lower-case scheme and host, and path on <see cref="CaseInsensitiveOwnerRepoHosts"/>; no default port, no
/// trailing '/' or '.git'). Error texts go to API clients: short, and never more than a few dozen characters of the input.
/// </summary>
public sealed class RepoUrlSyntax
{
    public const int MaxLength = 2048;

    private const string ShellMetacharacters = ";|&$`<>(){}!\\\"'*?[]#^~";
    /// <summary>
    /// Hosts whose repository URLs are /owner/repository (GitLab: /group/…/project) and ignore the case of those names:
    /// such a URL must name both, and its path is lower-cased, so that case variants of one repository are one task.
    /// </summary>
    public static readonly IReadOnlySet<string> CaseInsensitiveOwnerRepoHosts =
        new HashSet<string>(["github.com", "gitlab.com", "bitbucket.org", "gitee.com"], StringComparer.Ordinal);
    private const string LocalReposHint = "set PHAROS_ALLOW_LOCAL_REPOS=true to allow them (development only)";

    private readonly bool _allowLocalRepos;
    private readonly IReadOnlyList<string> _allowedSchemeList;
    private readonly HashSet<string> _allowedHosts;
    private readonly HashSet<string> _allowedSchemes;
    private readonly bool _anyHost;
    private readonly IReadOnlyList<int> _extraPorts;

    /// <param name="policy">Hosts, schemes and ports a remote repository may use, and whether local ones are allowed.</param>
    public RepoUrlSyntax(RepoUrlPolicy policy)
    {
        _allowLocalRepos = policy.AllowLocalRepos;
        _allowedSchemeList = policy.AllowedSchemes;
        _allowedHosts = policy.AllowedHosts.Select(h => h.Trim().TrimEnd('.').ToLowerInvariant()).ToHashSet();
        _anyHost = _allowedHosts.Contains(RepoUrlPolicy.AnyHost);
        _allowedSchemes = policy.AllowedSchemes.Select(s => s.Trim().ToLowerInvariant()).ToHashSet();
        _extraPorts = policy.AllowedPorts;
    }

    /// <summary>
    /// Every rule but the DNS one: the verdict, and the host whose addresses still need checking (null for a local
    /// repository, an IP literal or a refusal).
    /// </summary>
    public (RepoUrlCheck Outcome, string? Host) Check(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return Fail("repo_url is required");
        if (raw.Length > MaxLength) return Fail($"repo_url is longer than {MaxLength} characters");

        var characterError = CheckCharacters(raw);
        if (characterError is not null) return Fail(characterError);
        if (raw[0] == '-') return Fail("repo_url must not start with '-'");

        if (raw[0] == '/') return CheckLocalPath(raw);
        if (raw[0] == '.') return Fail("repo_url must not be a relative path");

        var separator = raw.IndexOf("://", StringComparison.Ordinal);
        var firstColon = raw.IndexOf(':');
        var firstSlash = raw.IndexOf('/');
        string url;
        if (separator > 0 && separator == firstColon)
        {
            url = raw;
        }
        else if (firstColon > 0 && (firstSlash < 0 || firstColon < firstSlash))
        {
            // "x:..." without "//": a dangerous scheme, the scp-like ssh form, or host:port without a scheme.
            var prefix = raw[..firstColon];
            var lower = prefix.ToLowerInvariant();
            if (lower is "javascript" or "data") return Fail($"the {lower}: scheme is not allowed");
            if (lower == "file")
                return Fail(_allowLocalRepos
                    ? "file URLs must have the form file:///absolute/path"
                    : $"local repositories are not allowed; {LocalReposHint}");
            if (prefix.Contains('@'))
            {
                var path = raw[(firstColon + 1)..];
                url = "ssh://" + prefix + (path.StartsWith('/') ? path : "/" + path);
            }
            else if (raw.AsSpan(0, firstSlash < 0 ? raw.Length : firstSlash).Contains('@'))
            {
                url = "https://" + raw; // user:password@host/..., refused below as credentials
            }
            else if (IsPort(raw.AsSpan(firstColon + 1, (firstSlash < 0 ? raw.Length : firstSlash) - firstColon - 1)))
            {
                url = "https://" + raw;
            }
            else if (RepoUrlPolicy.KnownSchemes.Contains(lower))
            {
                return Fail($"repo_url must have the form {lower}://host/path");
            }
            else
            {
                return Fail(IsSchemeName(prefix)
                    ? $"scheme '{Clip(prefix)}' is not allowed; allowed: {AllowedSchemeList()}"
                    : "repo_url is not a URL this service understands (expected https://host/owner/repo)");
            }
        }
        else
        {
            // The original service's path form: github.com/owner/repo.
            url = "https://" + raw;
        }

        return CheckUrl(url);
    }

    private (RepoUrlCheck, string?) CheckUrl(string url)
    {
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        var schemeText = url[..separator];
        if (!IsSchemeName(schemeText)) return Fail("repo_url has a malformed scheme");
        var scheme = schemeText.ToLowerInvariant();
        var rest = url[(separator + 3)..];

        if (scheme is "javascript" or "data") return Fail($"the {scheme}: scheme is not allowed");
        if (scheme == "file") return CheckFileUrl(rest);
        if (!RepoUrlPolicy.KnownSchemes.Contains(scheme))
            return Fail($"scheme '{Clip(schemeText)}' is not allowed; allowed: {AllowedSchemeList()}");

        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "" : rest[slash..];
        if (path.Contains('[') || path.Contains(']')) return Fail(MetacharacterError(path.Contains('[') ? '[' : ']'));

        // Split on the last '@' so that an '@' inside the user part is caught by the user-name rule below.
        string? user = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = authority[..at];
            authority = authority[(at + 1)..];
            if (scheme != "ssh")
                return Fail("credentials in the URL are not allowed; use PHAROS_GIT_TOKEN on the edge");
            if (user.Contains(':')) return Fail("ssh URLs may name a user but must not carry a password");
            if (!IsUserName(user)) return Fail("repo_url has an invalid ssh user name");
        }

        var (hostError, host, port, ip) = ParseHostPort(authority);
        if (hostError is not null) return Fail(hostError);

        var loopback = ip is not null ? IsLoopback(ip) : host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal);
        var local = loopback && _allowLocalRepos;
        if (!local)
        {
            if (ip is not null) return Fail("IP addresses are not allowed; use a host name");
            if (loopback) return Fail($"loopback host names are not allowed; {LocalReposHint}");
            if (!_allowedSchemes.Contains(scheme))
                return Fail($"scheme '{scheme}' is not allowed; allowed: {AllowedSchemeList()}");
            if (!_anyHost && !_allowedHosts.Contains(host))
                return Fail($"host '{Clip(host)}' is not in the allowed hosts ({string.Join(", ", _allowedHosts.Order())})");
            if (port is { } named && named != RepoUrlPolicy.DefaultPort(scheme) && !_extraPorts.Contains(named))
                return Fail($"port {named} is not allowed; {scheme} allows {string.Join(", ", AllowedPorts(scheme))}");
        }

        var (pathError, normalPath) = NormalizePath(path, stripGitSuffix: true);
        if (pathError is not null) return Fail(pathError);
        var segments = normalPath.Count(c => c == '/');
        if (segments < 1) return Fail("repo_url must name a repository (host/owner/repo)");
        var ownerRepoHost = CaseInsensitiveOwnerRepoHosts.Contains(host);
        if (segments < 2 && ownerRepoHost) return Fail($"a {host} URL must name an owner and a repository");
        if (ownerRepoHost) normalPath = normalPath.ToLowerInvariant();

        var defaultPort = RepoUrlPolicy.DefaultPort(scheme);
        var hostPart = ip is { AddressFamily: AddressFamily.InterNetworkV6 } ? $"[{ip}]" : ip?.ToString() ?? host;
        var normal = $"{scheme}://{(user is null ? "" : user + "@")}{hostPart}{(port is null || port == defaultPort ? "" : ":" + port.Value.ToString(CultureInfo.InvariantCulture))}{normalPath}";
        return (RepoUrlCheck.Accept(normal, local), local ? null : host);
    }

    private (RepoUrlCheck, string?) CheckLocalPath(string path)
    {
        if (!_allowLocalRepos) return Fail($"local repositories are not allowed; {LocalReposHint}");
        var (error, normal) = NormalizePath(path, stripGitSuffix: false);
        if (error is not null) return Fail(error);
        if (normal.Length == 0) return Fail("repo_url must name a repository directory, not /");
        return (RepoUrlCheck.Accept(normal, isLocal: true), null);
    }

    private (RepoUrlCheck, string?) CheckFileUrl(string rest)
    {
        if (!_allowLocalRepos) return Fail($"local repositories are not allowed; {LocalReposHint}");
        // file:///path or file://localhost/path; any other authority would name another machine.
        var slash = rest.IndexOf('/');
        if (slash < 0 || (slash > 0 && !rest[..slash].Equals("localhost", StringComparison.OrdinalIgnoreCase)))
            return Fail("file URLs must have the form file:///absolute/path");
        var (error, normal) = NormalizePath(rest[slash..], stripGitSuffix: false);
        if (error is not null) return Fail(error);
        if (normal.Length == 0) return Fail("repo_url must name a repository directory, not /");
        return (RepoUrlCheck.Accept("file://" + normal, isLocal: true), null);
    }

    /// <summary>
    /// Drops trailing slashes (and, for servers, a trailing .git) until none is left, so the result is a fixed point.
    /// Returns "" for an empty path, otherwise "/seg/seg".
    /// </summary>
    private static (string? Error, string Path) NormalizePath(string path, bool stripGitSuffix)
    {
        while (true)
        {
            var before = path.Length;
            path = path.TrimEnd('/');
            if (stripGitSuffix && path.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) path = path[..^4];
            if (path.Length == before) break;
        }

        if (path.Length == 0) return (null, "");
        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0) return ("repo_url path must not contain empty segments ('//')", path);
            if (segment is "." or "..") return ("repo_url path must not contain '.' or '..' segments", path);
            if (segment.Contains(':')) return ("repo_url path must not contain ':'", path);
        }
        return (null, path);
    }

    private static (string? Error, string Host, int? Port, IPAddress? Ip) ParseHostPort(string authority)
    {
        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return (MetacharacterError('['), "", null, null);
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') return (MetacharacterError(']'), "", null, null);
                portText = after[1..];
            }
            // Brackets hold only IPv6 literals; anything else in them is not a host.
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                return ("repo_url has an invalid IPv6 address", "", null, null);
            var (portError, port) = ParsePort(portText);
            return (portError, host, port, v6);
        }

        if (authority.Contains('[') || authority.Contains(']'))
            return (MetacharacterError(authority.Contains('[') ? '[' : ']'), "", null, null);
        var colons = authority.Count(c => c == ':');
        if (colons > 1) return ("IP addresses are not allowed; use a host name", "", null, null); // bare IPv6
        if (colons == 1)
        {
            var colon = authority.IndexOf(':');
            portText = authority[(colon + 1)..];
            authority = authority[..colon];
        }

        host = authority.EndsWith('.') ? authority[..^1].ToLowerInvariant() : authority.ToLowerInvariant();
        if (host.Length == 0) return ("repo_url has no host", "", null, null);

        var ip = ParseIpLike(host);
        if (ip.Looks)
        {
            var (portError, port) = ParsePort(portText);
            return (portError ?? (ip.Address is null ? "IP addresses are not allowed; use a host name" : null), host, port, ip.Address);
        }

        if (!IsHostName(host)) return ("repo_url has an invalid host name", "", null, null);
        var (error, p) = ParsePort(portText);
        return (error, host, p, null);
    }

    /// <summary>
    /// Whether a host is an IPv4 literal in any of the forms resolvers accept (dotted, decimal 2130706433, hex
    /// 0x7f000001, octal 0177.0.0.1, short 127.1). A final label made only of digits, or 0x and hex digits, can
    /// never be a top-level domain, so such a host is an address even when it does not parse.
    /// </summary>
    private static (bool Looks, IPAddress? Address) ParseIpLike(string host)
    {
        var parsed = IPAddress.TryParse(host, out var address) ? address : null;
        var last = host[(host.LastIndexOf('.') + 1)..];
        var numeric = last.Length > 0 && (last.All(char.IsAsciiDigit)
            || (last.StartsWith("0x", StringComparison.Ordinal) && last[2..].All(char.IsAsciiHexDigit)));
        return (parsed is not null || numeric, parsed);
    }

    private static (string? Error, int? Port) ParsePort(string? text)
    {
        if (text is null) return (null, null);
        if (!IsPort(text)) return ("repo_url has an invalid port", null);
        var port = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return port is >= 1 and <= 65_535 ? (null, port) : ("repo_url has an invalid port", null);
    }

    private static bool IsPort(ReadOnlySpan<char> text) => text.Length is >= 1 and <= 5 && !text.ContainsAnyExceptInRange('0', '9');

    private static bool IsLoopback(IPAddress ip) =>
        IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);

    /// <summary>LDH host name: labels of 1-63 letters, digits and inner hyphens; 253 characters at most.</summary>
    private static bool IsHostName(string host) =>
        host.Length <= 253 && host.Split('.').All(label =>
            label.Length is >= 1 and <= 63 && label[0] != '-' && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'));

    private static bool IsSchemeName(string text) =>
        text.Length is >= 1 and <= 32 && char.IsAsciiLetter(text[0])
        && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');

    // A user starting with '-' would reach ssh as an option (the ssh://-oProxyCommand=... attack).
    private static bool IsUserName(string user) =>
        user.Length is >= 1 and <= 64 && user[0] != '-'
        && user.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Character rules over the whole input. '[' and ']' are left to the host parser (IPv6 literals).</summary>
    private static string? CheckCharacters(string raw)
    {
        foreach (var c in raw)
        {
            if (char.IsControl(c)) return $"repo_url contains a control character (U+{(int)c:X4})";
            if (char.IsWhiteSpace(c)) return "repo_url must not contain whitespace";
        }
        foreach (var c in raw)
        {
            // Non-ASCII text hides look-alike hosts and invisible format characters; git hosts use ASCII names.
            if (c > '\x7e') return "repo_url must contain only ASCII characters";
            if (c == '%') return "percent-encoded characters are not allowed";
            if (c is not ('[' or ']') && ShellMetacharacters.Contains(c)) return MetacharacterError(c);
        }
        return null;
    }

    private static string MetacharacterError(char c) => $"repo_url must not contain the character '{c}'";

    private string AllowedSchemeList() =>
        _allowedSchemeList.Count == 0 ? "none" : string.Join(", ", _allowedSchemeList);

    private IEnumerable<int> AllowedPorts(string scheme) =>
        _extraPorts.Prepend(RepoUrlPolicy.DefaultPort(scheme)).Distinct();

    internal static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "...";

    private static (RepoUrlCheck, string?) Fail(string error) => (RepoUrlCheck.Reject(error), null);
}
