using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Pharos.Cli.Commands;

namespace Pharos.Cli.Remote;

/// <summary>An answer of the cloud: its status and its body as text (what `--json` prints), read as the API's DTOs.</summary>
internal sealed record ApiResponse(HttpStatusCode Status, string Text, TimeSpan? RetryAfter = null)
{
    /// <summary>The body as <typeparamref name="T"/>, one of the API's DTOs.</summary>
    public T Read<T>() => PharosClient.Read<T>(Text);

    /// <summary>The problem+json body of a refusal; null when the body is not a JSON object (a route the node lacks).</summary>
    public ProblemDto? Problem => PharosClient.TryRead<ProblemDto>(Text);
}

/// <summary>
/// The cloud's HTTP API as the remote commands use it. Every failure becomes a <see cref="CliException"/> with one
/// line that says what happened and what to do: an unreachable server, 401, 403, 404, 409, 429, 503.
/// </summary>
internal sealed class PharosClient : IDisposable
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;

    public PharosClient(RemoteSettings settings)
    {
        Settings = settings;
        // No overall timeout on the client: streams stay open; each plain request gets its own below.
        _http = new HttpClient { BaseAddress = settings.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("pharos-cli", typeof(PharosClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (settings.Token is { Length: > 0 } token)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public RemoteSettings Settings { get; }

    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<ApiResponse> PostAsync(string path, object body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public Task<ApiResponse> DeleteAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Delete, path, null, ct);

    /// <summary>Sends a request; a non-success answer throws <see cref="ApiException"/> with the one line to print.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var response = await TrySendAsync(method, path, body, ct);
        if ((int)response.Status is >= 200 and < 300) return response;
        throw ApiException.From(method, path, response, Settings);
    }

    /// <summary>Sends a request and returns whatever the server answered; only an unreachable server throws.</summary>
    public async Task<ApiResponse> TrySendAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            return new ApiResponse(response.StatusCode, text, response.Headers.RetryAfter?.Delta);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(Describe(e));
        }
    }

    /// <summary>
    /// Opens a server-sent events stream and yields (event, data) pairs until the server closes it or
    /// <paramref name="ct"/> is cancelled. Null when the route answers 404 (an older node without it).
    /// </summary>
    public async Task<IAsyncEnumerable<ServerSentEvent>?> OpenEventStreamAsync(string path, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(RequestTimeout);
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            request.Dispose();
            throw Unreachable($"no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            request.Dispose();
            throw Unreachable(Describe(e));
        }

        if (response.StatusCode == HttpStatusCode.NotFound && !IsProblem(response))
        {
            response.Dispose();
            request.Dispose();
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var failure = ApiException.From(HttpMethod.Get, path,
                new ApiResponse(response.StatusCode, text, response.Headers.RetryAfter?.Delta), Settings);
            response.Dispose();
            request.Dispose();
            throw failure;
        }
        return ServerSentEvents.ReadAsync(response, request, ct);
    }

    private static bool IsProblem(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType == "application/problem+json";

    private CliException Unreachable(string why) => new($"cannot reach the Pharos cloud at {Settings.BaseUri.ToString().TrimEnd('/')}: {why}");

    private static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket) return socket.SocketErrorCode == SocketError.ConnectionRefused
                ? "connection refused (is the cloud node running? start it with ./run.sh)"
                : socket.Message;
        }
        return e.Message;
    }

    /// <summary>
    /// A body or stream event as one of the API's DTOs, written as the cloud writes them (<see cref="PharosJson"/>).
    /// A body that is not one (a node of another version, say) is a one-line error, not a stack trace.
    /// </summary>
    internal static T Read<T>(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(text, PharosJson.Options)
                   ?? throw new CliException($"the Pharos cloud answered null where a {typeof(T).Name} was expected.");
        }
        catch (JsonException e)
        {
            throw new CliException(
                $"the Pharos cloud answered a body this pharos cannot read (is one of them an older version?): {e.Message}");
        }
    }

    internal static T? TryRead<T>(string text) where T : class
    {
        if (!text.TrimStart().StartsWith('{')) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(text, PharosJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
