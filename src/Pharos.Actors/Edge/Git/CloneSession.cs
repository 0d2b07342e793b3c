using System.Net;

namespace Pharos.Actors.Edge.Git;

/// <summary>
/// What one clone's http(s) transport needs and what it found: the request's rules, the HttpClient that connects
/// only through <see cref="GuardedConnector"/>, the clone's cancellation, the bytes received so far, and the first
/// failure (libgit2 keeps only a message, and not even that for a failed read). libgit2 makes its transports itself,
/// on the thread that runs the clone, so the session is handed over through that thread: <see cref="Enter"/>.
/// </summary>
internal sealed class CloneSession : IDisposable
{
    /// <summary>Room for the ref advertisement and the protocol's framing on top of the pack's own bytes.</summary>
    private const long ProtocolAllowance = 16L * 1024 * 1024;

    /// <summary>The rules for an http(s) clone made outside <see cref="RepositoryCloner"/>: no token, no internal address.</summary>
    public static readonly CloneRequest Strict = new("", "", 0, Timeout.InfiniteTimeSpan, null);

    [ThreadStatic] private static CloneSession? _current;

    private readonly Lazy<HttpClient> _client;
    private long _received;
    private Exception? _failure;

    public CloneSession(CloneRequest request, CancellationToken token)
    {
        Request = request;
        Token = token;
        _client = new Lazy<HttpClient>(CreateClient, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The session of the clone running on this thread, if any.</summary>
    public static CloneSession? Current => _current;

    public CloneRequest Request { get; }
    public CancellationToken Token { get; }
    public HttpClient Client => _client.Value;

    /// <summary>The first failure of a transport call, as thrown (our own <see cref="CloneFailedException"/> when there is one).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Set once a 401 was answered with the token: later requests of this clone carry it from the start.</summary>
    public bool SendTokenFirst { get; set; }

    /// <summary>Makes this the session of the clone on the calling thread until the scope is disposed.</summary>
    public Scope Enter()
    {
        var previous = _current;
        _current = this;
        return new Scope(previous);
    }

    public readonly struct Scope(CloneSession? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }

    public void Fail(Exception error)
    {
        Exception? own = null;
        for (var e = error; e is not null && own is null; e = e.InnerException)
            if (e is CloneFailedException) own = e;
        Interlocked.CompareExchange(ref _failure, own ?? error, null);
    }

    /// <summary>Counts received bytes; past the request's limit (and the protocol's allowance) the clone is too large.</summary>
    public void Received(int count)
    {
        if (Request.MaxBytes <= 0) return;
        if (Interlocked.Add(ref _received, count) > Request.MaxBytes + ProtocolAllowance)
            throw RepositoryCloner.TooLarge(Request.MaxBytes);
    }

    /// <summary>The token for a request to <paramref name="uri"/>, or null where it must not go.</summary>
    public string? TokenFor(Uri uri) => CredentialScope.MaySend(uri, Request) ? Request.HttpsToken : null;

    private HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        // Redirects are followed by the transport, which checks each one; the connector checks every address.
        AllowAutoRedirect = false,
        // A proxy would resolve the host itself, out of the connector's sight.
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = (context, ct) => GuardedConnector.ConnectAsync(context.DnsEndPoint, Request, ct),
    })
    {
        // The clone's own timeout and cancellation (Token) bound every request.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
    }
}
