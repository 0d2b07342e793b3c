using System.Security.Cryptography;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// Checks <c>Authorization: Bearer</c> credentials against SHA-256 hashes of the known tokens in constant time
/// (with respect to which entry matched), so that neither the tokens nor their number of matching leading bytes
/// leak through timing or logs.
/// </summary>
public sealed class TokenAuthenticator
{
    public const string AdminTokenName = "admin";
    public const int MinAdminTokenLength = 16;

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
    /// The cloud node's token set: <c>PHAROS_ADMIN_TOKEN</c> (name "admin", every scope, unlimited, private
    /// repositories, the whole queue: it is the operator's own, who decides every other token's grants anyway) plus the
    /// entries of <c>PHAROS_TOKENS_FILE</c>, those without <c>max_queued</c> given their default share of
    /// <c>MAX_QUEUE_SIZE</c> (<see cref="TokenEntry.DefaultMaxQueued"/>). Refuses to start without any token source.
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
            if (admin.Length > BearerHeader.MaxTokenLength || !BearerHeader.IsB64Token(admin))
                throw new SettingsException(
                    $"PHAROS_ADMIN_TOKEN must be at most {BearerHeader.MaxTokenLength} characters of A-Z a-z 0-9 - . _ ~ + / " +
                    "(optionally ending in '='), so that it can be sent as a Bearer token.");
            entries.Add(new TokenEntry(AdminTokenName, TokenHash.Hash(admin), ApiScope.Ingest | ApiScope.Read | ApiScope.Admin, null,
                PrivateRepos: true));
        }

        if (!string.IsNullOrEmpty(settings.Auth.TokensFile))
        {
            foreach (var entry in TokenFileLoader.Load(settings.Auth.TokensFile))
            {
                if (entries.Any(e => string.Equals(e.Name, entry.Name, StringComparison.OrdinalIgnoreCase)))
                    throw new SettingsException(
                        $"PHAROS_TOKENS_FILE: the name '{entry.Name}' is reserved for PHAROS_ADMIN_TOKEN; rename the entry.");
                if (entries.Any(e => e.Sha256.AsSpan().SequenceEqual(entry.Sha256)))
                    throw new SettingsException(
                        $"PHAROS_TOKENS_FILE: token '{entry.Name}' is the same token as PHAROS_ADMIN_TOKEN; issue it a token of its own.");
                entries.Add(entry.MaxQueued is null
                    ? entry with { MaxQueued = TokenEntry.DefaultMaxQueued(entry.Scopes, settings.Queue.MaxQueueSize) }
                    : entry);
            }
        }

        return new TokenAuthenticator(entries);
    }

    /// <summary>
    /// Reads an <c>Authorization</c> header value (<see cref="BearerHeader"/>) and checks its token: the token is
    /// hashed once, and that hash gives both the match and the fingerprint.
    /// </summary>
    public AuthResult Authenticate(string? authorizationHeader)
    {
        if (!BearerHeader.TryRead(authorizationHeader, out var token, out var failure)) return failure;

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        TokenHash.Hash(token, hash);
        var fingerprint = TokenHash.FingerprintOf(hash);

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
}
