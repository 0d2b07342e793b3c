using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LibGit2Sharp;

namespace Pharos.Actors.Edge.Git;

/// <summary>
/// libgit2's http and https, over <see cref="HttpClient"/>: git's smart HTTP protocol (<c>GET info/refs</c> for the
/// ref advertisement, <c>POST git-upload-pack</c> for each round of negotiation and the pack), where every connection
/// goes through <see cref="GuardedConnector"/>, every redirect is checked (same host only, same scheme or http to
/// https, at most <see cref="MaxRedirects"/>), and the token goes only where <see cref="CredentialScope"/> allows.
/// Registered for the whole process once (<see cref="EnsureRegistered"/>); each clone's rules come from the
/// <see cref="CloneSession"/> of the thread libgit2 runs it on.
/// </summary>
internal sealed class GuardedHttpTransport : RpcSmartSubtransport
{
    public const int MaxRedirects = 5;
    /// <summary>What libgit2 may ask to send in one request (wants and haves: kilobytes for a fresh clone).</summary>
    private const long MaxRequestBytes = 16L * 1024 * 1024;

    private const string Advertisement = "application/x-git-upload-pack-advertisement";
    private const string UploadPackRequest = "application/x-git-upload-pack-request";
    private const string UploadPackResult = "application/x-git-upload-pack-result";

    private static readonly Lazy<bool> Registration = new(() =>
    {
        GlobalSettings.RegisterSmartSubtransport<GuardedHttpTransport>("http");
        GlobalSettings.RegisterSmartSubtransport<GuardedHttpTransport>("https");
        return true;
    });

    /// <summary>Replaces libgit2's own http and https transports in this process (once).</summary>
    public static void EnsureRegistered() => _ = Registration.Value;

    private readonly CloneSession _session;
    private readonly bool _ownsSession;
    /// <summary>The repository's URL once its ref advertisement was redirected (on the same host): where to POST.</summary>
    private string? _redirected;

    // Made by libgit2 (through LibGit2Sharp) on the thread that runs the clone.
    public GuardedHttpTransport()
    {
        _ownsSession = CloneSession.Current is null;
        _session = CloneSession.Current ?? new CloneSession(CloneSession.Strict, CancellationToken.None);
    }

    protected override SmartSubtransportStream Action(string url, GitSmartSubtransportAction action)
    {
        try
        {
            var repository = _redirected ?? RepositoryUrl(url);
            return action switch
            {
                GitSmartSubtransportAction.UploadPackList => new Exchange(this, repository, "/info/refs?service=git-upload-pack", post: false),
                GitSmartSubtransportAction.UploadPack => new Exchange(this, repository, "/git-upload-pack", post: true),
                _ => throw new CloneFailedException("this transport only fetches", transient: false, kind: CloneFailureKind.Refused),
            };
        }
        catch (Exception e)
        {
            _session.Fail(e);
            throw;
        }
    }

    protected override void Dispose()
    {
        if (_ownsSession) _session.Dispose();
        base.Dispose();
    }

    /// <summary>The repository's URL without user information, query or trailing slash: what the services hang off.</summary>
    private static string RepositoryUrl(string url)
    {
        var uri = new Uri(url);
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            throw new CloneFailedException($"{uri.Scheme} is not http or https", transient: false, kind: CloneFailureKind.Refused);
        return $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath.TrimEnd('/')}";
    }

    /// <summary>
    /// True when a redirect from <paramref name="from"/> may be followed to <paramref name="to"/>: the same host, and
    /// the same scheme and port or an upgrade from http to https.
    /// </summary>
    internal static bool MayFollow(Uri from, Uri to) =>
        (to.Scheme == Uri.UriSchemeHttp || to.Scheme == Uri.UriSchemeHttps) &&
        string.Equals(from.IdnHost, to.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        (to.Scheme == from.Scheme ? to.Port == from.Port : from.Scheme == Uri.UriSchemeHttp && to.Scheme == Uri.UriSchemeHttps);

    /// <summary>One request and its answer, as libgit2 sees it: written to first (a POST's body), then read to its end.</summary>
    private sealed class Exchange(GuardedHttpTransport owner, string repository, string service, bool post) : SmartSubtransportStream(owner)
    {
        private readonly MemoryStream? _body = post ? new MemoryStream() : null;
        private readonly byte[] _buffer = new byte[64 * 1024];
        private HttpResponseMessage? _response;
        private Stream? _content;

        private CloneSession Session => owner._session;

        public override int Write(Stream dataStream, long length)
        {
            try
            {
                if (_body is null || _content is not null) throw new InvalidOperationException("git wrote to a request that was already sent");
                if (_body.Length + length > MaxRequestBytes)
                    throw new CloneFailedException($"git asked to send more than {MaxRequestBytes / (1024 * 1024)} MB in one request",
                        transient: false);
                for (var remaining = length; remaining > 0;)
                {
                    var n = dataStream.Read(_buffer, 0, (int)Math.Min(_buffer.Length, remaining));
                    if (n == 0) throw new EndOfStreamException("git's request ended early");
                    _body.Write(_buffer, 0, n);
                    remaining -= n;
                }
                return 0;
            }
            catch (Exception e)
            {
                Session.Fail(e);
                throw;
            }
        }

        public override int Read(Stream dataStream, long length, out long bytesRead)
        {
            bytesRead = 0;
            try
            {
                _content ??= Send();
                var n = _content.ReadAsync(_buffer.AsMemory(0, (int)Math.Min(length, _buffer.Length)), Session.Token)
                    .AsTask().GetAwaiter().GetResult();
                Session.Received(n);
                dataStream.Write(_buffer, 0, n);
                bytesRead = n;
                return 0;
            }
            catch (Exception e)
            {
                Session.Fail(e);
                throw;
            }
        }

        protected override void Free()
        {
            _content?.Dispose();
            _response?.Dispose();
            base.Free();
        }

        private Stream Send()
        {
            var uri = new Uri(repository + service);
            var withToken = Session.SendTokenFirst && Session.TokenFor(uri) is not null;
            var redirects = 0;
            while (true)
            {
                HttpResponseMessage response;
                using (var request = NewRequest(uri, withToken))
                    response = Session.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Session.Token)
                        .GetAwaiter().GetResult();
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    var location = response.Headers.Location;
                    response.Dispose();
                    uri = Redirect(uri, location, status, ++redirects);
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.Unauthorized && !withToken && Session.TokenFor(uri) is not null)
                {
                    // Asked for credentials, and this host may have the token: once more with it.
                    response.Dispose();
                    withToken = true;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    response.Dispose();
                    throw new HttpStatusException(status);
                }

                var expected = post ? UploadPackResult : Advertisement;
                var type = response.Content.Headers.ContentType?.MediaType;
                if (!string.Equals(type, expected, StringComparison.OrdinalIgnoreCase))
                {
                    response.Dispose();
                    throw new CloneFailedException($"{uri.Authority} did not answer as a git server (content type '{type ?? "none"}')",
                        transient: false);
                }
                if (withToken) Session.SendTokenFirst = true;
                if (!post && redirects > 0 && uri.AbsolutePath.EndsWith("/info/refs", StringComparison.Ordinal))
                    owner._redirected = $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath[..^"/info/refs".Length]}";
                _response = response;
                return response.Content.ReadAsStreamAsync(Session.Token).GetAwaiter().GetResult();
            }
        }

        private HttpRequestMessage NewRequest(Uri uri, bool withToken)
        {
            var request = new HttpRequestMessage(post ? HttpMethod.Post : HttpMethod.Get, uri);
            request.Headers.UserAgent.ParseAdd("git/2.0 (Pharos)");
            request.Headers.Accept.ParseAdd(post ? UploadPackResult : Advertisement);
            if (_body is not null)
            {
                request.Content = new ByteArrayContent(_body.GetBuffer(), 0, (int)_body.Length);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadPackRequest);
            }
            if (withToken && Session.TokenFor(uri) is { } token)
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{CredentialScope.UserName}:{token}")));
            return request;
        }

        private Uri Redirect(Uri from, Uri? location, int status, int count)
        {
            if (location is null) throw new HttpStatusException(status);
            var to = location.IsAbsoluteUri ? location : new Uri(from, location);
            if (count > MaxRedirects)
                throw new CloneFailedException($"{from.Authority} redirected more than {MaxRedirects} times", transient: false,
                    kind: CloneFailureKind.Refused);
            if (!MayFollow(from, to))
                throw new CloneFailedException($"refused to follow a redirect from {from.Scheme}://{from.Authority} to " +
                    $"{to.Scheme}://{to.Authority}: only redirects to the same host are followed", transient: false,
                    kind: CloneFailureKind.Refused);
            if (post && status is not (307 or 308))
                throw new CloneFailedException($"{from.Authority} answered a git request with redirect {status}, which drops its body",
                    transient: false, kind: CloneFailureKind.Refused);
            // The user information of a Location is never used.
            return new UriBuilder(to) { UserName = "", Password = "" }.Uri;
        }
    }
}

/// <summary>An http status a git request cannot go on from; the cloner says what it means for the clone.</summary>
internal sealed class HttpStatusException(int statusCode) : Exception($"unexpected http status code: {statusCode}")
{
    public int StatusCode { get; } = statusCode;
}
