namespace Pharos.Actors.Edge.Git;

/// <summary>Where the edge's git token may go: the one rule, asked for every http(s) request a clone makes.</summary>
internal static class CredentialScope
{
    /// <summary>The user name the token is sent with (what GitHub and GitLab expect of an access token).</summary>
    public const string UserName = "x-access-token";

    /// <summary>
    /// True when <paramref name="request"/>'s token may be sent to <paramref name="uri"/>: the task may use
    /// credentials, the host is one of <see cref="CloneRequest.TokenHosts"/> (exact name, any case) and the scheme is
    /// https. Plain http counts only for a loopback host while internal addresses are allowed (development and tests:
    /// such a request never leaves the machine). Redirects to another host are never followed, so the host asked is
    /// the repository's own.
    /// </summary>
    public static bool MaySend(Uri uri, CloneRequest request) =>
        !string.IsNullOrEmpty(request.HttpsToken) && request.UseCredentials &&
        request.TokenHosts.Any(host => string.Equals(host, uri.IdnHost, StringComparison.OrdinalIgnoreCase)) &&
        (uri.Scheme == Uri.UriSchemeHttps ||
         (uri.Scheme == Uri.UriSchemeHttp && request.AllowInternalAddresses && uri.IsLoopback));
}
