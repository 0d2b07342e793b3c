namespace Pharos.Actors.Ingest;

/// <summary>
/// What a caller may do. A scope's name in PHAROS_TOKENS_FILE, in claims and in answers is its member name in lower
/// case (<see cref="ScopeRules.Name"/>): "ingest", "read", "admin". The HTTP layer maps those strings to these; the
/// gateway checks them without knowing how they were written.
/// </summary>
[Flags]
public enum ApiScope
{
    None = 0,
    Ingest = 1,
    Read = 2,
    /// <summary>Cluster control; a caller holding it is granted every other scope too.</summary>
    Admin = 4,
}

public static class ScopeRules
{
    /// <summary>The single scopes a token can name, in the order they are listed to operators.</summary>
    public static readonly IReadOnlyList<ApiScope> Known = [ApiScope.Ingest, ApiScope.Read, ApiScope.Admin];

    /// <summary>The name of one scope as PHAROS_TOKENS_FILE writes it: "ingest", "read" or "admin".</summary>
    public static string Name(this ApiScope scope) =>
        Known.Contains(scope)
            ? scope.ToString().ToLowerInvariant()
            : throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a single scope.");

    /// <summary>True when <paramref name="held"/> grants <paramref name="needed"/>: it holds it, or holds admin.</summary>
    public static bool Grants(this ApiScope held, ApiScope needed) =>
        (held & ApiScope.Admin) != 0 || (held & needed) == needed;
}
