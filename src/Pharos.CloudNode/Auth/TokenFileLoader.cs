using System.Text.Json;

namespace Pharos.CloudNode.Auth;

/// <summary>PHAROS_TOKENS_FILE: the tokens an operator issued, each by name, SHA-256, scopes and rate limit.</summary>
public static class TokenFileLoader
{
    public const int MaxNameLength = 100;

    /// <summary>
    /// Reads a JSON array of <c>{"name", "sha256", "scopes", "requests_per_minute", "private_repos", "max_queued"}</c>
    /// (the last three optional: no limit, no private repositories, and a null <see cref="TokenEntry.MaxQueued"/>, when
    /// left out; <see cref="TokenAuthenticator.FromSettings"/> gives such an entry its default share of the cap, which
    /// needs the cap). Every problem is a
    /// <see cref="SettingsException"/> naming PHAROS_TOKENS_FILE, the entry and the field, never a field's value
    /// (an operator may have pasted a plain token into <c>sha256</c>).
    /// </summary>
    public static IReadOnlyList<TokenEntry> Load(string path)
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
                    $"PHAROS_TOKENS_FILE '{path}' must hold a JSON array of {{\"name\", \"sha256\", \"scopes\", \"requests_per_minute\", \"private_repos\", \"max_queued\"}} objects.");

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
            if (property.Name is not ("name" or "sha256" or "scopes" or "requests_per_minute" or "private_repos" or "max_queued"))
                throw new SettingsException(
                    $"{Where(name)}: unknown field '{property.Name}' (expected name, sha256, scopes, requests_per_minute, private_repos, max_queued).");
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
        var scopes = ApiScope.None;
        foreach (var scopeElement in scopesElement.EnumerateArray())
        {
            var text = scopeElement.ValueKind == JsonValueKind.String ? scopeElement.GetString() : null;
            if (text is null || !Scopes.TryParse(text, out var scope))
                throw new SettingsException(
                    $"{Where(name)}: unknown scope {(text is null ? scopeElement.ValueKind.ToString() : $"'{text}'")}; " +
                    $"scopes are {string.Join(", ", KnownScopesText)}.");
            scopes |= scope;
        }
        if (scopes == ApiScope.None)
            throw new SettingsException(
                $"{Where(name)}: scopes is empty; name at least one of {string.Join(", ", KnownScopesText)}.");

        int? perMinute = null;
        if (element.TryGetProperty("requests_per_minute", out var rpmElement) && rpmElement.ValueKind != JsonValueKind.Null)
        {
            if (rpmElement.ValueKind != JsonValueKind.Number || !rpmElement.TryGetInt32(out var rpm) || rpm < 1)
                throw new SettingsException($"{Where(name)}: requests_per_minute must be a whole number of at least 1 (or be left out for no limit).");
            perMinute = rpm;
        }

        // Only a literal true grants: a misspelt value must not open the edge's credentials to a token.
        var privateRepos = false;
        if (element.TryGetProperty("private_repos", out var privateElement) && privateElement.ValueKind != JsonValueKind.Null)
        {
            if (privateElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new SettingsException($"{Where(name)}: private_repos must be true or false (or be left out for false).");
            privateRepos = privateElement.GetBoolean();
        }

        int? maxQueued = null;
        if (element.TryGetProperty("max_queued", out var queuedElement) && queuedElement.ValueKind != JsonValueKind.Null)
        {
            if (queuedElement.ValueKind != JsonValueKind.Number || !queuedElement.TryGetInt32(out var queued) || queued < 1)
                throw new SettingsException(
                    $"{Where(name)}: max_queued must be a whole number of at least 1 (or be left out for the default share of the queue).");
            maxQueued = queued;
        }

        return new TokenEntry(name, hash, scopes, perMinute, privateRepos, maxQueued);
    }

    private static IEnumerable<string> KnownScopesText => Scopes.Names.Select(s => $"\"{s}\"");
}
