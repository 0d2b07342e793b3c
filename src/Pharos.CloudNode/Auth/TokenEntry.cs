namespace Pharos.CloudNode.Auth;

/// <summary>
/// A known token, held only as its SHA-256; the plain token is never kept. <paramref name="PrivateRepos"/>: the tasks it
/// submits are cloned with the edge's git credentials (so they may be private repositories the credentials can read).
/// </summary>
public sealed record TokenEntry(string Name, byte[] Sha256, ApiScope Scopes, int? RequestsPerMinute, bool PrivateRepos = false)
{
    // The default record ToString would print "System.Byte[]"; this says what matters.
    public override string ToString() =>
        $"TokenEntry {{ Name = {Name}, Scopes = [{string.Join(", ", Auth.Scopes.NamesOf(Scopes))}], RequestsPerMinute = {RequestsPerMinute?.ToString() ?? "unlimited"}, PrivateRepos = {PrivateRepos} }}";
}
