namespace Pharos.CloudNode.Auth;

/// <summary>
/// A known token, held only as its SHA-256; the plain token is never kept. Its name is its identity: the jobs it
/// submits record it, and it may cancel those. <paramref name="PrivateRepos"/>: the tasks it submits are cloned with the
/// edge's git credentials (so they may be private repositories the credentials can read). <paramref name="MaxQueued"/>:
/// its share of the queue's cap, the live pending tasks it may have at once; null: the whole cap.
/// </summary>
public sealed record TokenEntry(string Name, byte[] Sha256, ApiScope Scopes, int? RequestsPerMinute, bool PrivateRepos = false,
    int? MaxQueued = null)
{
    /// <summary>
    /// The share of a cap of <paramref name="maxQueueSize"/> a token gets when its entry names none: the whole cap (null)
    /// for a token with the admin scope, half of it (at least 1) for any other, so that no one token fills the queue.
    /// </summary>
    public static int? DefaultMaxQueued(ApiScope scopes, int maxQueueSize) =>
        (scopes & ApiScope.Admin) != 0 ? null : Math.Max(1, maxQueueSize / 2);

    // The default record ToString would print "System.Byte[]"; this says what matters.
    public override string ToString() =>
        $"TokenEntry {{ Name = {Name}, Scopes = [{string.Join(", ", Auth.Scopes.NamesOf(Scopes))}], RequestsPerMinute = {RequestsPerMinute?.ToString() ?? "unlimited"}, PrivateRepos = {PrivateRepos}, MaxQueued = {MaxQueued?.ToString() ?? "the whole cap"} }}";
}
