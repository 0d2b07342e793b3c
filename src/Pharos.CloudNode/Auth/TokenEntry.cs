namespace Pharos.CloudNode.Auth;

/// <summary>A known token, held only as its SHA-256; the plain token is never kept.</summary>
public sealed record TokenEntry(string Name, byte[] Sha256, ApiScope Scopes, int? RequestsPerMinute)
{
    // The default record ToString would print "System.Byte[]"; this says what matters.
    public override string ToString() =>
        $"TokenEntry {{ Name = {Name}, Scopes = [{string.Join(", ", Auth.Scopes.NamesOf(Scopes))}], RequestsPerMinute = {RequestsPerMinute?.ToString() ?? "unlimited"} }}";
}
