using System.Collections.Frozen;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// The scopes as HTTP writes them: in PHAROS_TOKENS_FILE, in a caller's claims, as the names of the authorization
/// policies, and in 403 details. Each is <see cref="ScopeRules.Name"/> of a <see cref="ApiScope"/>; this is where the
/// strings turn into <see cref="ApiScope"/> and back.
/// </summary>
public static class Scopes
{
    /// <summary>The claim that carries one scope a caller holds (one claim per scope).</summary>
    public const string ClaimType = "scope";

    private static readonly FrozenDictionary<string, ApiScope> ByName =
        ScopeRules.Known.ToFrozenDictionary(scope => scope.Name(), StringComparer.Ordinal);

    /// <summary>"ingest", "read", "admin".</summary>
    public static IEnumerable<string> Names => ScopeRules.Known.Select(scope => scope.Name());

    /// <summary>The scope named exactly <paramref name="name"/> (case matters, as in the tokens file).</summary>
    public static bool TryParse(string name, out ApiScope scope) => ByName.TryGetValue(name, out scope);

    /// <summary>The names of the single scopes in <paramref name="scopes"/>, in the order of <see cref="Names"/>.</summary>
    public static IEnumerable<string> NamesOf(ApiScope scopes) =>
        ScopeRules.Known.Where(scope => (scopes & scope) != 0).Select(scope => scope.Name());
}
