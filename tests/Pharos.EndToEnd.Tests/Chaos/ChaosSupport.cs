using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Pharos.Testing.Redis;
using Xunit.Sdk;

namespace Pharos.EndToEnd.Tests.Chaos;

/// <summary>
/// How big a chaos scenario runs. The default run (CI, test.sh) runs every scenario small; <c>PHAROS_CHAOS_FULL=1</c>
/// (bench/chaos/run.sh) runs them at the issue's size; <c>PHAROS_CHAOS_&lt;NAME&gt;</c> overrides one size.
/// </summary>
public static class ChaosSize
{
    private static readonly Pharos.Testing.Sizes.ScenarioSize Size = new("PHAROS_CHAOS_");

    public static bool Full => Size.Full;

    public static int Get(string name, int ci, int full) => Size.Get(name, ci, full);
}

/// <summary>A chaos scenario's processes and servers (its <see cref="TestBed"/>), disposed after the test, also when it failed.</summary>
public abstract class ChaosTest(ITestOutputHelper output) : BedTest(output)
{
    /// <summary>A cloud node's settings for its journal in <paramref name="redis"/>, the cap out of the way.</summary>
    protected static Dictionary<string, string?> RedisJournal(RedisServer redis) => new()
    {
        ["PHAROS_REDIS"] = redis.ConnectionString,
        ["MAX_QUEUE_SIZE"] = "100000",
    };
}

/// <summary>
/// The figures a chaos scenario measured: written to the test output, and appended as <c>scenario.name = value</c>
/// lines to the file named by <c>PHAROS_CHAOS_RESULTS</c> (bench/chaos/run.sh collects them). Never asserted.
/// </summary>
public sealed class ChaosFigures(ITestOutputHelper output, string scenario)
{
    private static readonly object FileGate = new();

    public void Add(string name, FormattableString value)
    {
        var line = $"{scenario}.{name} = {FormattableString.Invariant(value)}";
        output.WriteLine("chaos figure: " + line);
        if (Environment.GetEnvironmentVariable("PHAROS_CHAOS_RESULTS") is { Length: > 0 } file)
            lock (FileGate) File.AppendAllText(file, line + Environment.NewLine);
    }
}

/// <summary>What one POST /ingest of a <see cref="SubmissionStream"/> got.</summary>
/// <param name="Seq">The order in which requests were sent (a mark compares with it).</param>
/// <param name="Status">The HTTP status, or null when the request failed (connection refused or reset, timeout).</param>
/// <param name="Target">The node the request went to.</param>
public sealed record Submission(long Seq, DateTimeOffset SentAt, DateTimeOffset AnsweredAt, int? Status, string? TaskId,
    bool RetryAfter, string? Error, string RepoUrl, string Target);

/// <summary>
/// A steady stream of submissions from a few concurrent clients, each for a repository URL never used before (so no
/// 409), to whichever cloud node <c>target</c> names when the request is sent. Every answer is kept. The URLs need not
/// exist: no edge runs in the scenarios that stream, so nothing is cloned. A client pauses briefly between requests
/// (pacing, so that a 2-core machine keeps up) and after a failed one (a dead node refuses at once).
/// </summary>
public sealed class SubmissionStream : IAsyncDisposable
{
    private readonly Func<CloudProcess> _target;
    private readonly string _tag;
    private readonly TimeSpan _pause;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Submission> _answers = [];
    private readonly Task[] _clients;
    private long _sent;

    private SubmissionStream(Func<CloudProcess> target, string tag, int clients, TimeSpan pause)
    {
        _target = target;
        _tag = tag;
        _pause = pause;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CloudProcess.AdminToken);
        _clients = Enumerable.Range(0, clients).Select(_ => Task.Run(RunClientAsync)).ToArray();
    }

    /// <param name="target">The node each request goes to, read when it is sent (a test swaps it after a restart).</param>
    public static SubmissionStream Start(Func<CloudProcess> target, string tag, int clients = 2, int pauseMs = 40) =>
        new(target, tag, clients, TimeSpan.FromMilliseconds(pauseMs));

    /// <summary>The sequence number the next request gets: answers to requests from here on are "since" it.</summary>
    public long Mark => Interlocked.Read(ref _sent);

    public IReadOnlyList<Submission> Answers { get { lock (_answers) return _answers.ToList(); } }

    public IReadOnlyList<Submission> Since(long mark) => Answers.Where(a => a.Seq >= mark).ToList();

    /// <summary>Task ids of every 202 so far.</summary>
    public IReadOnlyList<string> AcceptedIds => Answers.Where(a => a.Status == 202).Select(a => a.TaskId!).ToList();

    private async Task RunClientAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var seq = Interlocked.Increment(ref _sent) - 1;
            var cloud = _target();
            var url = $"http://127.0.0.1:9/chaos/{_tag}-{seq:D6}";
            var sent = DateTimeOffset.UtcNow;
            Submission answer;
            try
            {
                using var response = await _http.PostAsJsonAsync(new Uri(cloud.Client.BaseAddress!, "/ingest"),
                    new Dictionary<string, string> { ["repo_url"] = url }, _stop.Token);
                var body = await response.Content.ReadAsStringAsync(_stop.Token);
                string? taskId = null;
                if (response.StatusCode == HttpStatusCode.Accepted)
                    taskId = JsonDocument.Parse(body).RootElement.GetProperty("task_id").GetString();
                answer = new Submission(seq, sent, DateTimeOffset.UtcNow, (int)response.StatusCode, taskId,
                    response.Headers.RetryAfter is not null, response.IsSuccessStatusCode ? null : body, url, cloud.Node.Name);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                answer = new Submission(seq, sent, DateTimeOffset.UtcNow, null, null, false, $"{e.GetType().Name}: {e.Message}",
                    url, cloud.Node.Name);
            }
            lock (_answers) _answers.Add(answer);
            try { await Task.Delay(answer.Status is null ? _pause * 2 : _pause, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Until <paramref name="count"/> answers since <paramref name="mark"/> satisfy <paramref name="which"/>.</summary>
    public Task WaitForAsync(long mark, Func<Submission, bool> which, int count, string what, Func<string> diagnostics,
        Func<string?>? abort = null, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(() => Task.FromResult(Since(mark).Count(which)), n => n >= count,
            $"{count} submissions {what}", timeout ?? TimeSpan.FromSeconds(120), () => Summary(mark) + "\n" + diagnostics(), abort);

    /// <summary>Answers since the mark counted by status, for failure messages.</summary>
    public string Summary(long mark = 0) =>
        "submissions: " + string.Join(", ", Since(mark).GroupBy(a => a.Status?.ToString() ?? "error")
            .Select(g => $"{g.Key} × {g.Count()}"));

    /// <summary>Fails the test when an answer's status is none of <paramref name="allowed"/> (null: no answer at all).</summary>
    public void AssertOnly(params int?[] allowed)
    {
        var other = Answers.Where(a => !allowed.Contains(a.Status)).ToList();
        Assert.True(other.Count == 0, $"answers other than {string.Join(", ", allowed.Select(s => s?.ToString() ?? "none"))}: " +
                                      string.Join("; ", other.Take(5).Select(a => $"{a.Status?.ToString() ?? "no answer"} {a.Error}")));
    }

    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }
}

public static class ChaosChecks
{
    /// <summary>The median of <paramref name="spans"/> in seconds (the upper one of an even count), 0 for none.</summary>
    public static double MedianSeconds(IReadOnlyList<TimeSpan> spans)
    {
        var sorted = spans.Select(s => s.TotalSeconds).Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    /// <summary>
    /// The ids of <paramref name="taskIds"/> the cloud does not know: GET /jobs/{id} answered 404. Other answers
    /// (503 while the queue recovers or moves) are asked again until they are 200 or 404.
    /// </summary>
    public static async Task<IReadOnlyList<string>> LostAsync(CloudProcess cloud, IEnumerable<string> taskIds,
        Func<string> diagnostics)
    {
        var lost = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(taskIds.Distinct(), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (id, _) =>
        {
            var status = await Eventually.WaitAsync(async () =>
                {
                    using var response = await cloud.Client.GetAsync($"/jobs/{id}");
                    return response.StatusCode;
                },
                s => s is HttpStatusCode.OK or HttpStatusCode.NotFound, $"GET /jobs/{id} on {cloud.Node.Name} to answer 200 or 404",
                TimeSpan.FromSeconds(90), diagnostics, cloud.AbortIfExited);
            if (status == HttpStatusCode.NotFound) lost.Add(id);
        });
        return lost.ToList();
    }

    /// <summary>Fails the test when any task that got a 202 is unknown to <paramref name="cloud"/>.</summary>
    public static async Task AssertAllPresentAsync(CloudProcess cloud, IReadOnlyCollection<string> accepted, string when,
        Func<string> diagnostics)
    {
        var lost = await LostAsync(cloud, accepted, diagnostics);
        if (lost.Count > 0)
            throw new XunitException($"{lost.Count} of {accepted.Count} tasks that got a 202 are missing {when}: " +
                                     $"{string.Join(", ", lost.Take(10))}\n{diagnostics()}");
    }

    /// <summary>GET /cluster/members of <paramref name="cloud"/>: the addresses of members with the role that are up and reachable.</summary>
    public static async Task<IReadOnlyList<string>> UpMembersAsync(CloudProcess cloud, string role)
    {
        var members = await cloud.GetJsonAsync("/cluster/members");
        return members.Array("members")
            .Where(m => m.Str("status") == "up" && m.TryGetProperty("reachable", out var r) && r.ValueKind == JsonValueKind.True
                        && m.Array("roles").Any(x => x.GetString() == role))
            .Select(m => m.Str("address")!).ToList();
    }
}
