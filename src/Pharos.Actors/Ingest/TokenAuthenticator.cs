using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pharos.Actors.Configuration;

namespace Pharos.Actors.Ingest;

/// <summary>A known token, held only as its SHA-256; the plain token is never kept.</summary>
public sealed record TokenEntry(string Name, byte[] Sha256, IReadOnlySet<string> Scopes, int? RequestsPerMinute)
{
    // The default record ToString would print "System.Byte[]" and the set's type name; this says what matters.
    public override string ToString() =>
        $"TokenEntry {{ Name = {Name}, Scopes = [{string.Join(", ", Scopes.Order(StringComparer.Ordinal))}], RequestsPerMinute = {RequestsPerMinute?.ToString() ?? "unlimited"} }}";
}

public enum AuthFailureReason { MissingHeader, EmptyCredentials, WrongScheme, Malformed, UnknownToken }

public static class AuthFailureReasonExtensions
{
    /// <summary>The name used in logs, metrics labels and problem details.</summary>
    public static string ToSnakeCase(this AuthFailureReason reason) => reason switch
    {
        AuthFailureReason.MissingHeader => "missing_header",
        AuthFailureReason.EmptyCredentials => "empty_credentials",
        AuthFailureReason.WrongScheme => "wrong_scheme",
        AuthFailureReason.Malformed => "malformed",
        AuthFailureReason.UnknownToken => "unknown_token",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };
}

/// <summary>
/// The outcome of <see cref="TokenAuthenticator.Authenticate"/>. <see cref="Fingerprint"/> (8 hex digits of the
/// presented token's SHA-256) lets an operator correlate failures without the token ever being logged; it is null
/// when no token was presented.
/// </summary>
public sealed record AuthResult
{
    private AuthResult() { }

    public bool Succeeded { get; private init; }
    public string? TokenName { get; private init; }
    public IReadOnlySet<string> Scopes { get; private init; } = FrozenSet<string>.Empty;
    /// <summary>The token's own rate limit; null means unlimited.</summary>
    public int? RequestsPerMinute { get; private init; }
    public AuthFailureReason? Reason { get; private init; }
    public string? Fingerprint { get; private init; }

    public static AuthResult Success(TokenEntry entry, string fingerprint) => new()
    {
        Succeeded = true, TokenName = entry.Name, Scopes = entry.Scopes,
        RequestsPerMinute = entry.RequestsPerMinute, Fingerprint = fingerprint,
    };

    public static AuthResult Failure(AuthFailureReason reason, string? fingerprint) =>
        new() { Reason = reason, Fingerprint = fingerprint };

    // Readable in test output and logs; carries only the name and fingerprint, never the token.
    public override string ToString() => Succeeded
        ? $"AuthResult {{ Succeeded, TokenName = {TokenName}, Scopes = [{string.Join(", ", Scopes.Order(StringComparer.Ordinal))}], Fingerprint = {Fingerprint} }}"
        : $"AuthResult {{ Failed, Reason = {Reason?.ToSnakeCase()}, Fingerprint = {Fingerprint ?? "none"} }}";

    /// <summary>True when authenticated and granted <paramref name="scope"/>; the admin scope implies every scope.</summary>
    public bool HasScope(string scope) =>
        Succeeded && (Scopes.Contains(scope) || Scopes.Contains(global::Pharos.Actors.Ingest.Scopes.Admin));
}

/// <summary>
/// Checks <c>Authorization: Bearer</c> credentials against SHA-256 hashes of the known tokens in constant time
/// (with respect to which entry matched), so that neither the tokens nor their number of matching leading bytes
/// leak through timing or logs.
/// </summary>
public sealed class TokenAuthenticator
{
    public const string AdminTokenName = "admin";
    public const int MinAdminTokenLength = 16;
    public const int MaxTokenLength = 512;
    public const int MaxNameLength = 100;

    private readonly TokenEntry[] _entries;

    public TokenAuthenticator(IEnumerable<TokenEntry> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _entries = tokens.ToArray();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _entries)
        {
            if (entry.Sha256 is not { Length: 32 })
                throw new ArgumentException($"Token '{entry.Name}' must carry a 32-byte SHA-256.", nameof(tokens));
            if (!names.Add(entry.Name))
                throw new ArgumentException($"Token name '{entry.Name}' is used twice.", nameof(tokens));
            // Two names for one token would make the identity (and its scopes) depend on entry order.
            if (!hashes.Add(Convert.ToHexString(entry.Sha256)))
                throw new ArgumentException($"Token '{entry.Name}' has the same hash as another token.", nameof(tokens));
        }
    }

    public int Count => _entries.Length;

    /// <summary>
    /// The cloud node's token set: <c>PHAROS_ADMIN_TOKEN</c> (name "admin", every scope, unlimited) plus the entries
    /// of <c>PHAROS_TOKENS_FILE</c>. Refuses to start without any token source.
    /// </summary>
    public static TokenAuthenticator FromSettings(PharosSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrEmpty(settings.Auth.AdminToken) && string.IsNullOrEmpty(settings.Auth.TokensFile))
            throw new SettingsException(
                "No token source: set PHAROS_ADMIN_TOKEN (or PHAROS_TOKENS_FILE) before starting the cloud node.");

        var entries = new List<TokenEntry>();
        if (!string.IsNullOrEmpty(settings.Auth.AdminToken))
        {
            var admin = settings.Auth.AdminToken;
            if (admin.Length < MinAdminTokenLength)
                throw new SettingsException($"PHAROS_ADMIN_TOKEN must be at least {MinAdminTokenLength} characters.");
            // A token no client could present in a valid header would lock the operator out silently.
            if (admin.Length > MaxTokenLength || !IsB64Token(admin))
                throw new SettingsException(
                    $"PHAROS_ADMIN_TOKEN must be at most {MaxTokenLength} characters of A-Z a-z 0-9 - . _ ~ + / " +
                    "(optionally ending in '='), so that it can be sent as a Bearer token.");
            entries.Add(new TokenEntry(AdminTokenName, Hash(admin), Scopes.All, null));
        }

        if (!string.IsNullOrEmpty(settings.Auth.TokensFile))
        {
            foreach (var entry in LoadTokensFile(settings.Auth.TokensFile))
            {
                if (entries.Any(e => string.Equals(e.Name, entry.Name, StringComparison.OrdinalIgnoreCase)))
                    throw new SettingsException(
                        $"PHAROS_TOKENS_FILE: the name '{entry.Name}' is reserved for PHAROS_ADMIN_TOKEN; rename the entry.");
                if (entries.Any(e => e.Sha256.AsSpan().SequenceEqual(entry.Sha256)))
                    throw new SettingsException(
                        $"PHAROS_TOKENS_FILE: token '{entry.Name}' is the same token as PHAROS_ADMIN_TOKEN; issue it a token of its own.");
                entries.Add(entry);
            }
        }

        return new TokenAuthenticator(entries);
    }

    /// <summary>
    /// Reads a JSON array of <c>{"name", "sha256", "scopes", "requests_per_minute"}</c>. Every problem is a
    /// <see cref="SettingsException"/> naming PHAROS_TOKENS_FILE, the entry and the field, never a field's value
    /// (an operator may have pasted a plain token into <c>sha256</c>).
    /// </summary>
    public static IReadOnlyList<TokenEntry> LoadTokensFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SettingsException($"PHAROS_TOKENS_FILE points to '{path}', which does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"PHAROS_TOKENS_FILE '{path}' cannot be read: {e.Message}");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException e)
        {
            // JsonException's own message can quote the offending text; the position is enough to find it.
            throw new SettingsException(
                $"PHAROS_TOKENS_FILE '{path}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new SettingsException(
                    $"PHAROS_TOKENS_FILE '{path}' must hold a JSON array of {{\"name\", \"sha256\", \"scopes\", \"requests_per_minute\"}} objects.");

            var entries = new List<TokenEntry>();
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                index++;
                var entry = ParseEntry(path, index, element);
                if (!names.Add(entry.Name))
                    throw new SettingsException($"PHAROS_TOKENS_FILE '{path}': entry {index}: duplicate name '{entry.Name}'.");
                if (hashes.TryGetValue(Convert.ToHexString(entry.Sha256), out var other))
                    throw new SettingsException(
                        $"PHAROS_TOKENS_FILE '{path}': entry {index} ('{entry.Name}') has the same sha256 as '{other}'; give each its own token.");
                hashes[Convert.ToHexString(entry.Sha256)] = entry.Name;
                entries.Add(entry);
            }
            return entries;
        }
    }

    private static TokenEntry ParseEntry(string path, int index, JsonElement element)
    {
        string Where(string? name) => name is null
            ? $"PHAROS_TOKENS_FILE '{path}': entry {index}"
            : $"PHAROS_TOKENS_FILE '{path}': entry {index} ('{name}')";

        if (element.ValueKind != JsonValueKind.Object)
            throw new SettingsException($"{Where(null)} must be an object.");

        string? name = null;
        if (element.TryGetProperty("name", out var nameElement))
        {
            if (nameElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(nameElement.GetString()))
                throw new SettingsException($"{Where(null)}: name must be a non-empty string.");
            name = nameElement.GetString()!.Trim();
            // Names appear in logs and metrics labels: keep them short and on one line.
            if (name.Length > MaxNameLength || name.Any(char.IsControl))
                throw new SettingsException($"{Where(null)}: name must be at most {MaxNameLength} characters with no control characters.");
        }
        else
        {
            throw new SettingsException($"{Where(null)}: name is missing.");
        }

        foreach (var property in element.EnumerateObject())
        {
            // A misspelt optional field (requests_per_minut) would otherwise silently lift a rate limit.
            if (property.Name is not ("name" or "sha256" or "scopes" or "requests_per_minute"))
                throw new SettingsException(
                    $"{Where(name)}: unknown field '{property.Name}' (expected name, sha256, scopes, requests_per_minute).");
        }

        if (!element.TryGetProperty("sha256", out var hashElement) || hashElement.ValueKind != JsonValueKind.String)
            throw new SettingsException($"{Where(name)}: sha256 is missing or not a string.");
        var hex = hashElement.GetString()!.Trim();
        if (hex.Length != 64)
            throw new SettingsException(
                $"{Where(name)}: sha256 must be 64 hexadecimal characters, got {hex.Length} (`pharos token new` prints one).");
        if (!hex.All(char.IsAsciiHexDigit))
            throw new SettingsException($"{Where(name)}: sha256 must contain only hexadecimal characters 0-9 a-f.");
        var hash = Convert.FromHexString(hex);

        if (!element.TryGetProperty("scopes", out var scopesElement) || scopesElement.ValueKind != JsonValueKind.Array)
            throw new SettingsException(
                $"{Where(name)}: scopes must be an array naming some of {string.Join(", ", KnownScopesText)}.");
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var scopeElement in scopesElement.EnumerateArray())
        {
            var scope = scopeElement.ValueKind == JsonValueKind.String ? scopeElement.GetString() : null;
            if (scope is null || !Scopes.All.Contains(scope))
                throw new SettingsException(
                    $"{Where(name)}: unknown scope {(scope is null ? scopeElement.ValueKind.ToString() : $"'{scope}'")}; " +
                    $"scopes are {string.Join(", ", KnownScopesText)}.");
            scopes.Add(scope);
        }
        if (scopes.Count == 0)
            throw new SettingsException(
                $"{Where(name)}: scopes is empty; name at least one of {string.Join(", ", KnownScopesText)}.");

        int? perMinute = null;
        if (element.TryGetProperty("requests_per_minute", out var rpmElement) && rpmElement.ValueKind != JsonValueKind.Null)
        {
            if (rpmElement.ValueKind != JsonValueKind.Number || !rpmElement.TryGetInt32(out var rpm) || rpm < 1)
                throw new SettingsException($"{Where(name)}: requests_per_minute must be a whole number of at least 1 (or be left out for no limit).");
            perMinute = rpm;
        }

        return new TokenEntry(name, hash, scopes.ToFrozenSet(StringComparer.Ordinal), perMinute);
    }

    private static IEnumerable<string> KnownScopesText => new[] { Scopes.Ingest, Scopes.Read, Scopes.Admin }.Select(s => $"\"{s}\"");

    /// <summary>Parses and checks an <c>Authorization</c> header value (RFC 7235 scheme, RFC 6750 b64token).</summary>
    public AuthResult Authenticate(string? authorizationHeader)
    {
        if (authorizationHeader is null)
            return AuthResult.Failure(AuthFailureReason.MissingHeader, null);
        if (string.IsNullOrWhiteSpace(authorizationHeader))
            return AuthResult.Failure(AuthFailureReason.EmptyCredentials, null);

        // A lenient parse only to name the failure and fingerprint what was presented; acceptance below is strict.
        var trimmed = authorizationHeader.AsSpan().Trim();
        var separator = trimmed.IndexOfAny(' ', '\t');
        var scheme = separator < 0 ? trimmed : trimmed[..separator];
        var credentials = separator < 0 ? ReadOnlySpan<char>.Empty : trimmed[(separator + 1)..].Trim();

        if (!scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            // No space at all is most likely a bare token sent without its scheme: fingerprint it for correlation.
            return AuthResult.Failure(AuthFailureReason.WrongScheme, Fingerprint(credentials.IsEmpty ? trimmed : credentials));
        if (credentials.IsEmpty)
            return AuthResult.Failure(AuthFailureReason.EmptyCredentials, null);

        // Exactly "Bearer" + one space + b64token; anything else (tabs, padding, extra spaces) is malformed.
        var header = authorizationHeader.AsSpan();
        if (header.Length <= 7 || !header[..6].Equals("Bearer", StringComparison.OrdinalIgnoreCase) || header[6] != ' ')
            return AuthResult.Failure(AuthFailureReason.Malformed, Fingerprint(credentials));
        var token = header[7..];
        if (token.Length > MaxTokenLength || !IsB64Token(token))
            return AuthResult.Failure(AuthFailureReason.Malformed, Fingerprint(credentials));

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        var fingerprint = FingerprintOf(hash);

        // Compare with every entry, whatever matched first, so the time taken does not reveal which entry it was.
        var match = -1;
        for (var i = 0; i < _entries.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, _entries[i].Sha256);
            match = equal ? i : match;
        }

        return match < 0
            ? AuthResult.Failure(AuthFailureReason.UnknownToken, fingerprint)
            : AuthResult.Success(_entries[match], fingerprint);
    }

    /// <summary>The first 8 lowercase hex digits of the token's SHA-256: safe to log, enough to correlate.</summary>
    public static string Fingerprint(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Fingerprint(token.AsSpan());
    }

    /// <summary>The lowercase hex SHA-256 of the token's UTF-8 bytes, as written to PHAROS_TOKENS_FILE.</summary>
    public static string Sha256Hex(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(Hash(token));
    }

    /// <summary>True when <paramref name="token"/> is an RFC 6750 b64token: <c>[A-Za-z0-9\-._~+/]+=*</c>.</summary>
    public static bool IsB64Token(ReadOnlySpan<char> token)
    {
        var body = token.TrimEnd('=');
        if (body.IsEmpty) return false;
        foreach (var c in body)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
                return false;
        }
        return true;
    }

    private static string Fingerprint(ReadOnlySpan<char> token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        return FingerprintOf(hash);
    }

    private static string FingerprintOf(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..4]);

    private static byte[] Hash(ReadOnlySpan<char> token)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        return hash;
    }

    private static void Hash(ReadOnlySpan<char> token, Span<byte> destination)
    {
        // The pooled buffer is wiped before it goes back, so no token bytes linger in shared memory.
        var maxLength = Encoding.UTF8.GetMaxByteCount(token.Length);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            var length = Encoding.UTF8.GetBytes(token, buffer);
            SHA256.HashData(buffer.AsSpan(0, length), destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, maxLength));
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
