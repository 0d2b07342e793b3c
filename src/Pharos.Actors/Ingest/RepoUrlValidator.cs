using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Pharos.Actors.Configuration;

namespace Pharos.Actors.Ingest;

/// <summary>
/// The outcome of checking a repository URL. Ok means <see cref="Error"/> is null and <see cref="NormalizedUrl"/> is
/// the form to queue and compare. IsLocal marks a local path, a file:// URL or a loopback server that was accepted
/// only because PHAROS_ALLOW_LOCAL_REPOS is on.
/// </summary>
public sealed record RepoUrlCheck(string? NormalizedUrl, string? Error, bool IsLocal = false)
{
    public bool Ok => Error is null;

    public static RepoUrlCheck Accept(string normalizedUrl, bool isLocal = false) => new(normalizedUrl, null, isLocal);

    public static RepoUrlCheck Reject(string error) => new(null, error);
}

/// <summary>Resolves a host name to its addresses; tests pass their own.</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken ct);

/// <summary>
/// Decides whether a submitted repository URL may be cloned, and gives its normal form. The edge clones whatever the
/// cloud accepts, so this is the line that keeps clients from making a worker fetch from internal addresses, pass
/// shell or git-option text, or carry credentials. Error texts go to API clients: short, and never more than a few
/// dozen characters of the input.
/// </summary>
public sealed class RepoUrlValidator
{
    public const int MaxLength = 2048;
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);
    /// <summary>How long a host's verdict (internal or not, or unresolvable) is reused.</summary>
    public static readonly TimeSpan VerdictLifetime = TimeSpan.FromSeconds(60);

    private const string ShellMetacharacters = ";|&$`<>(){}!\\\"'*?[]#^~";
    private static readonly HashSet<string> OwnerRepoHosts = ["github.com", "gitlab.com", "bitbucket.org", "gitee.com"];
    private const string LocalReposHint = "set PHAROS_ALLOW_LOCAL_REPOS=true to allow them (development only)";

    private readonly RepoUrlPolicy _policy;
    private readonly HostResolver _resolver;
    private readonly HashSet<string> _allowedHosts;
    private readonly HashSet<string> _allowedSchemes;
    private readonly bool _anyHost;
    private readonly Dictionary<string, HostVerdict> _verdicts = new(StringComparer.Ordinal);
    private const int MaxRememberedHosts = 4096;

    public RepoUrlValidator(RepoUrlPolicy policy, HostResolver? resolver = null)
    {
        _policy = policy;
        _resolver = resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct));
        _allowedHosts = policy.AllowedHosts.Select(h => h.Trim().TrimEnd('.').ToLowerInvariant()).ToHashSet();
        _anyHost = _allowedHosts.Contains(RepoUrlPolicy.AnyHost);
        _allowedSchemes = policy.AllowedSchemes.Select(s => s.Trim().ToLowerInvariant()).ToHashSet();
    }

    /// <summary>Every rule except the DNS one: no I/O, so the gateway can refuse floods of bad URLs cheaply.</summary>
    public RepoUrlCheck CheckSyntax(string? raw) => Check(raw).Outcome;

    /// <summary>
    /// <see cref="CheckSyntax"/>, then resolves a remote host and refuses it when any address is internal. A lookup
    /// that fails or takes over two seconds is accepted: the edge checks again when it clones.
    /// </summary>
    public async Task<RepoUrlCheck> ValidateAsync(string? raw, CancellationToken ct = default)
    {
        var (result, host) = Check(raw);
        if (!result.Ok || result.IsLocal || host is null) return result;

        var internalHost = await VerdictFor(host).WaitAsync(ct).ConfigureAwait(false);
        return internalHost ? RepoUrlCheck.Reject("host resolves to a private or loopback address") : result;
    }

    /// <summary>
    /// One lookup per host a minute at most, shared by every submission that names the host meanwhile; past a minute
    /// the old verdict still answers while one refresh runs. A flood of submissions never becomes a flood of DNS
    /// queries, and a resolver that hangs holds no request but the very first for its host.
    /// </summary>
    private Task<bool> VerdictFor(string host)
    {
        var now = Environment.TickCount64;
        lock (_verdicts)
        {
            if (_verdicts.TryGetValue(host, out var known))
            {
                if (now - known.AskedAt < VerdictLifetime.TotalMilliseconds || !known.Lookup.IsCompleted) return known.Lookup;
                _verdicts[host] = new HostVerdict(ResolvesToInternalAsync(host), now);
                return known.Lookup.IsCompletedSuccessfully ? known.Lookup : _verdicts[host].Lookup;
            }
            // Bounded: a flood of distinct host names (only possible with PHAROS_ALLOWED_HOSTS=*) starts over.
            if (_verdicts.Count >= MaxRememberedHosts) _verdicts.Clear();
            var lookup = new HostVerdict(ResolvesToInternalAsync(host), now);
            _verdicts[host] = lookup;
            return lookup.Lookup;
        }
    }

    private async Task<bool> ResolvesToInternalAsync(string host)
    {
        using var timeout = new CancellationTokenSource(ResolveTimeout);
        try
        {
            // WaitAsync bounds the wait even when the resolver ignores its token.
            var addresses = await _resolver(host, timeout.Token).WaitAsync(ResolveTimeout).ConfigureAwait(false);
            return addresses.Any(IsInternal);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException or ArgumentException)
        {
            return false;
        }
    }

    private sealed record HostVerdict(Task<bool> Lookup, long AskedAt);

    /// <summary>
    /// True for addresses a repository host must never resolve to: loopback, private, carrier-grade NAT, link-local,
    /// unspecified, multicast and reserved ranges, including IPv4 addresses inside IPv6 (mapped, compatible, NAT64).
    /// </summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                 // "this network", private, loopback
                100 => b[1] is >= 64 and <= 127,        // 100.64/10 carrier-grade NAT
                169 => b[1] == 254,                     // link-local (cloud metadata services live here)
                172 => b[1] is >= 16 and <= 31,
                192 => b[1] == 168,
                >= 224 => true,                         // multicast 224/4, reserved 240/4, broadcast
                _ => false,
            };
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;
        if (address.IsIPv4MappedToIPv6) return IsInternal(address.MapToIPv4());

        var v6 = address.GetAddressBytes();
        if (v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return true; // ::, ::1 and IPv4-compatible ::a.b.c.d
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return IsInternal(new IPAddress(v6.AsSpan(12, 4))); // 64:ff9b::/96 NAT64 reaches the embedded IPv4 address
        return (v6[0] & 0xfe) == 0xfc                       // fc00::/7 unique local
            || (v6[0] == 0xfe && (v6[1] & 0xc0) is 0x80 or 0xc0) // fe80::/10 link-local, fec0::/10 old site-local
            || v6[0] == 0xff;                               // multicast
    }

    private (RepoUrlCheck Outcome, string? Host) Check(string? raw)
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
                return Fail(_policy.AllowLocalRepos
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
        var local = loopback && _policy.AllowLocalRepos;
        if (!local)
        {
            if (ip is not null) return Fail("IP addresses are not allowed; use a host name");
            if (loopback) return Fail($"loopback host names are not allowed; {LocalReposHint}");
            if (!_allowedSchemes.Contains(scheme))
                return Fail($"scheme '{scheme}' is not allowed; allowed: {AllowedSchemeList()}");
            if (!_anyHost && !_allowedHosts.Contains(host))
                return Fail($"host '{Clip(host)}' is not in the allowed hosts ({string.Join(", ", _allowedHosts.Order())})");
        }

        var (pathError, normalPath) = NormalizePath(path, stripGitSuffix: true);
        if (pathError is not null) return Fail(pathError);
        var segments = normalPath.Count(c => c == '/');
        if (segments < 1) return Fail("repo_url must name a repository (host/owner/repo)");
        if (segments < 2 && OwnerRepoHosts.Contains(host)) return Fail($"a {host} URL must name an owner and a repository");

        var defaultPort = scheme switch { "https" => 443, "http" => 80, "git" => 9418, _ => 22 };
        var hostPart = ip is { AddressFamily: AddressFamily.InterNetworkV6 } ? $"[{ip}]" : ip?.ToString() ?? host;
        var normal = $"{scheme}://{(user is null ? "" : user + "@")}{hostPart}{(port is null || port == defaultPort ? "" : ":" + port.Value.ToString(CultureInfo.InvariantCulture))}{normalPath}";
        return (RepoUrlCheck.Accept(normal, local), local ? null : host);
    }

    private (RepoUrlCheck, string?) CheckLocalPath(string path)
    {
        if (!_policy.AllowLocalRepos) return Fail($"local repositories are not allowed; {LocalReposHint}");
        var (error, normal) = NormalizePath(path, stripGitSuffix: false);
        if (error is not null) return Fail(error);
        if (normal.Length == 0) return Fail("repo_url must name a repository directory, not /");
        return (RepoUrlCheck.Accept(normal, isLocal: true), null);
    }

    private (RepoUrlCheck, string?) CheckFileUrl(string rest)
    {
        if (!_policy.AllowLocalRepos) return Fail($"local repositories are not allowed; {LocalReposHint}");
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
        _policy.AllowedSchemes.Count == 0 ? "none" : string.Join(", ", _policy.AllowedSchemes);

    private static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "...";

    private static (RepoUrlCheck, string?) Fail(string error) => (RepoUrlCheck.Reject(error), null);
}
