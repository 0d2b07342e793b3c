using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Pharos.Bench.Soak;

/// <summary>What the churn does, the same for every backend.</summary>
public sealed record ChurnSettings(
    double Rate,
    int Lanes,
    int ChurnLive,
    int RealLive,
    double RealGapSeconds,
    string RunTag);

/// <summary>
/// The churn client of one cloud node. <see cref="Lanes"/> concurrent lanes share one schedule of
/// <see cref="ChurnSettings.Rate"/> operations a second: nine in ten submit a task of its own (a distinct repository
/// URL, a path that does not exist, priority low) while fewer than <see cref="ChurnSettings.ChurnLive"/> of them are
/// live, and otherwise cancel the oldest live one; the tenth reads (<c>GET /worker/status</c>, <c>GET /jobs?limit=20</c>).
/// Beside it, <see cref="ChurnSettings.RealLive"/> loops each submit a real repository (priority high, so the edge
/// takes it before any churn task), follow it to its end, wait <see cref="ChurnSettings.RealGapSeconds"/> and submit it
/// again. Every request is timed from just before it is sent to the end of its answer's body; failed requests
/// (no answer, 5xx) are timed too, up to the client's 30 s timeout.
/// </summary>
public sealed class Churn : IDisposable
{
    private readonly HttpClient _http;
    private readonly ChurnSettings _settings;
    private readonly string _name;
    private readonly string _churnRepo;
    private readonly IReadOnlyList<string> _realRepos;
    private readonly object _gate = new();
    private readonly Queue<string> _live = new();
    private int _submitting;
    private long _slot;
    private long _submitted;
    private List<double> _latencies = new(4096);
    private int _errors, _accepted, _cancelled, _queueFull, _realCompleted, _realFailed;
    private long _totalRequests, _totalErrors, _totalAccepted, _totalCancelled, _totalCancelMissed, _totalQueueFull;
    private long _totalRealCompleted, _totalRealFailed, _totalBehind;
    private readonly Dictionary<string, int> _unexpected = new(StringComparer.Ordinal);

    public Churn(string name, Uri url, string token, string churnRepo, IReadOnlyList<string> realRepos, ChurnSettings settings)
    {
        _name = name;
        _churnRepo = churnRepo.TrimEnd('/');
        _realRepos = realRepos;
        _settings = settings;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 64 };
        _http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string Name => _name;

    /// <summary>Runs the churn lanes and the real-task loops until <paramref name="ct"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var lanes = Enumerable.Range(0, _settings.Lanes).Select(_ => Task.Run(() => LaneAsync(start, ct), CancellationToken.None));
        var real = Enumerable.Range(0, Math.Min(_settings.RealLive, _realRepos.Count))
            .Select(i => Task.Run(() => RealLoopAsync(_realRepos[i], ct), CancellationToken.None));
        return Task.WhenAll(lanes.Concat(real));
    }

    /// <summary>The window since the last call: its latencies and counts, reset.</summary>
    public Window TakeWindow()
    {
        List<double> latencies;
        lock (_gate)
        {
            latencies = _latencies;
            _latencies = new List<double>(Math.Max(4096, latencies.Count));
        }
        return new Window(
            latencies.Count,
            Stats.Quantile(latencies, 0.99),
            Stats.Quantile(latencies, 0.5),
            Interlocked.Exchange(ref _errors, 0),
            Interlocked.Exchange(ref _accepted, 0),
            Interlocked.Exchange(ref _cancelled, 0),
            Interlocked.Exchange(ref _queueFull, 0),
            Interlocked.Exchange(ref _realCompleted, 0),
            Interlocked.Exchange(ref _realFailed, 0));
    }

    /// <summary>Totals over the whole run, for the summary.</summary>
    public Totals TotalsNow()
    {
        lock (_gate)
        {
            return new Totals(_totalRequests, _totalErrors, _totalAccepted, _totalCancelled, _totalCancelMissed, _totalQueueFull,
                _totalRealCompleted, _totalRealFailed, _totalBehind,
                string.Join(", ", _unexpected.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} ×{kv.Value}")));
        }
    }

    // ---------------------------------------------------------------- the churn lanes

    private async Task LaneAsync(long start, CancellationToken ct)
    {
        var period = Stopwatch.Frequency / _settings.Rate;
        while (!ct.IsCancellationRequested)
        {
            var n = Interlocked.Increment(ref _slot) - 1;
            var due = start + (long)(n * period);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, ct); }
                catch (OperationCanceledException) { return; }
            }
            else if (wait < TimeSpan.FromSeconds(-1))
            {
                // More than a second behind the schedule (the node or the machine stalled): drop the slot rather than
                // send a burst to catch up. The summary counts them.
                lock (_gate) _totalBehind++;
                continue;
            }

            try { await OperationAsync(n, ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        }
    }

    private async Task OperationAsync(long n, CancellationToken ct)
    {
        if (n % 10 == 9)
        {
            await ReadAsync(n / 10, ct);
            return;
        }
        string? cancel = null;
        var submit = false;
        lock (_gate)
        {
            if (_live.Count + _submitting < _settings.ChurnLive) { _submitting++; submit = true; }
            else if (_live.Count > 0) cancel = _live.Dequeue();
        }
        if (submit) await SubmitChurnAsync(ct);
        else if (cancel is not null) await CancelAsync(cancel, ct);
        else await ReadAsync(n / 10, ct);
    }

    private async Task ReadAsync(long n, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, n % 2 == 0 ? "/worker/status" : "/jobs?limit=20");
        var (status, _) = await SendAsync(request, ct);
        if (status is not HttpStatusCode.OK) Unexpected($"read {(int?)status}");
    }

    private async Task SubmitChurnAsync(CancellationToken ct)
    {
        try
        {
            var branch = $"churn/{_name}-{_settings.RunTag}-{Interlocked.Increment(ref _submitted)}";
            using var request = new HttpRequestMessage(HttpMethod.Post, "/ingest")
            {
                Content = JsonContent.Create(new { repo_url = _churnRepo, @ref = branch, priority = "low" }),
            };
            var (status, body) = await SendAsync(request, ct);
            switch (status)
            {
                case HttpStatusCode.Accepted when TaskId(body) is { } id:
                    Interlocked.Increment(ref _accepted);
                    lock (_gate) { _totalAccepted++; _live.Enqueue(id); }
                    break;
                case HttpStatusCode.TooManyRequests:
                    Interlocked.Increment(ref _queueFull);
                    lock (_gate) _totalQueueFull++;
                    break;
                case null or >= HttpStatusCode.InternalServerError:
                    break; // counted as an error by SendAsync
                default:
                    Unexpected($"submit {(int)status}");
                    break;
            }
        }
        finally
        {
            lock (_gate) _submitting--;
        }
    }

    private async Task CancelAsync(string id, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/jobs/{id}");
        var (status, _) = await SendAsync(request, ct);
        switch (status)
        {
            case HttpStatusCode.OK:
                Interlocked.Increment(ref _cancelled);
                lock (_gate) _totalCancelled++;
                break;
            case HttpStatusCode.Conflict or HttpStatusCode.NotFound:
                // Finished before the cancellation came: an idle edge took it and failed it (its path does not exist).
                lock (_gate) _totalCancelMissed++;
                break;
            case null or >= HttpStatusCode.InternalServerError:
                lock (_gate) _live.Enqueue(id); // not confirmed: try again later
                break;
            default:
                Unexpected($"cancel {(int)status}");
                break;
        }
    }

    // ---------------------------------------------------------------- the real tasks

    private async Task RealLoopAsync(string repo, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var id = await SubmitRealAsync(repo, ct);
                if (id is null)
                {
                    await Task.Delay(1000, ct);
                    continue;
                }
                var outcome = await FollowAsync(id, ct);
                if (outcome == "completed")
                {
                    Interlocked.Increment(ref _realCompleted);
                    lock (_gate) _totalRealCompleted++;
                }
                else
                {
                    Interlocked.Increment(ref _realFailed);
                    lock (_gate) _totalRealFailed++;
                    Unexpected($"real task {outcome}");
                }
                await Task.Delay(TimeSpan.FromSeconds(_settings.RealGapSeconds), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
        }
    }

    private async Task<string?> SubmitRealAsync(string repo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ingest")
        {
            Content = JsonContent.Create(new { repo_url = repo, priority = "high" }),
        };
        var (status, body) = await SendAsync(request, ct);
        if (status == HttpStatusCode.Accepted && TaskId(body) is { } id)
        {
            Interlocked.Increment(ref _accepted);
            lock (_gate) _totalAccepted++;
            return id;
        }
        if (status == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _queueFull);
            lock (_gate) _totalQueueFull++;
        }
        else if (status is not null and < HttpStatusCode.InternalServerError) Unexpected($"real submit {(int)status}");
        return null;
    }

    /// <summary>
    /// Polls the job every 500 ms until it ends: its final status. The history keeps the last
    /// <c>PHAROS_HISTORY_SIZE</c> (100) finished jobs, which the churn's cancellations push out within seconds, so a job
    /// no longer there is looked for in <c>GET /repos</c>: completed if the stored result names its task.
    /// </summary>
    private async Task<string> FollowAsync(string id, CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(500, ct);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/jobs/{id}");
            var (status, body) = await SendAsync(request, ct);
            if (status == HttpStatusCode.OK && Field(body, "status") is { } state)
            {
                if (state is "queued" or "running") continue;
                return state == "completed" ? state : $"{state} ({Field(body, "reason")}: {Field(body, "error")})";
            }
            if (status == HttpStatusCode.NotFound)
            {
                using var repos = new HttpRequestMessage(HttpMethod.Get, "/repos");
                var (reposStatus, reposBody) = await SendAsync(repos, ct);
                return reposStatus == HttpStatusCode.OK && reposBody.Contains($"\"{id}\"", StringComparison.Ordinal)
                    ? "completed"
                    : "gone from the history without a result";
            }
        }
    }

    // ---------------------------------------------------------------- requests

    /// <summary>Sends, reads the whole answer, records its latency: the status (null: no answer) and the body.</summary>
    private async Task<(HttpStatusCode? Status, string Body)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        HttpStatusCode? status = null;
        var body = "";
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Unexpected($"no answer: {e.GetType().Name}");
        }
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var failed = status is null or >= HttpStatusCode.InternalServerError;
        if (failed) Interlocked.Increment(ref _errors);
        if (status is >= HttpStatusCode.InternalServerError) Unexpected($"{request.Method} {(int)status}");
        lock (_gate)
        {
            _latencies.Add(ms);
            _totalRequests++;
            if (failed) _totalErrors++;
        }
        return (status, body);
    }

    private void Unexpected(string what)
    {
        lock (_gate) _unexpected[what] = _unexpected.GetValueOrDefault(what) + 1;
    }

    private static string? TaskId(string body) => Field(body, "task_id");

    private static string? Field(string body, string name)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : null;
        }
        catch (JsonException) { return null; }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The churn client's figures over one sampling window.</summary>
public sealed record Window(
    int Requests, double P99Ms, double P50Ms, int Errors, int Accepted, int Cancelled, int QueueFull, int RealCompleted, int RealFailed);

/// <summary>The churn client's figures over the whole run.</summary>
public sealed record Totals(
    long Requests, long Errors, long Accepted, long Cancelled, long CancelMissed, long QueueFull, long RealCompleted,
    long RealFailed, long SlotsDropped, string Unexpected);
