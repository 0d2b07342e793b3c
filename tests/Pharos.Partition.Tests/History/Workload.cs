using System.Net;
using System.Net.Http.Json;
using Pharos.Partition.Tests.Bed;

namespace Pharos.Partition.Tests.History;

/// <summary>
/// Clients in the bed's client namespace: submitters that ask for the workload repository at a random branch
/// (so some answers are 409 while that branch's task is queued or running), and a canceller that cancels a random
/// task it saw accepted. Each sends to the cloud nodes in turn. Every request and answer is kept.
/// </summary>
public sealed class Workload : IAsyncDisposable
{
    private readonly PartitionBed _bed;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Operation> _history = [];
    private readonly List<Task> _clients = [];
    private readonly Random _random = new();
    private long _next;
    private int _turn;

    private Workload(PartitionBed bed) => _bed = bed;

    /// <summary>A workload whose clients have not started: its history takes a scenario's own requests first.</summary>
    public static Workload Create(PartitionBed bed) => new(bed);

    /// <summary>Starts the clients.</summary>
    /// <param name="submitters">Concurrent submitting clients.</param>
    /// <param name="pause">Between two requests of one client (pacing for a 2-core machine).</param>
    /// <param name="cancelEvery">How often the canceller cancels a task; null: no cancellations.</param>
    public Workload Begin(int submitters, TimeSpan pause, TimeSpan? cancelEvery)
    {
        for (var c = 0; c < submitters; c++)
        {
            var client = c;
            _clients.Add(Task.Run(() => SubmitLoopAsync(client, pause)));
        }
        if (cancelEvery is { } every) _clients.Add(Task.Run(() => CancelLoopAsync(submitters, every)));
        return this;
    }

    public string BigUrl => _bed.BigUrl;

    public IReadOnlyList<Operation> History { get { lock (_history) return _history.ToList(); } }

    /// <summary>The client number of a scenario's own submissions, which the canceller leaves alone.</summary>
    public const int ScenarioClient = 99;

    /// <summary>The client number of the cancellations that end a short run (what is still queued).</summary>
    public const int DrainClient = 98;

    public IReadOnlyList<string> Accepted => History.Where(o => o.Kind == OpKind.Submit && o.Status == 202).Select(o => o.TaskId!).ToList();

    private CloudHost NextTarget()
    {
        var clouds = _bed.Clouds;
        return clouds[Interlocked.Increment(ref _turn) % clouds.Count];
    }

    private int RandomInt(int max) { lock (_random) return _random.Next(max); }

    private async Task SubmitLoopAsync(int client, TimeSpan pause)
    {
        while (!_stop.IsCancellationRequested)
        {
            await SubmitAsync(client, _bed.WorkUrl, PartitionBed.Branch(RandomInt(PartitionBed.WorkBranches)));
            if (!await PauseAsync(pause)) return;
        }
    }

    /// <summary>One submission, recorded in the history like the clients' (a scenario's own task goes through here).</summary>
    /// <returns>The recorded operation.</returns>
    public Task<Operation> SubmitAsync(int client, string repoUrl, string? gitRef, CloudHost? target = null)
    {
        var body = new Dictionary<string, string> { ["repo_url"] = repoUrl };
        if (gitRef is not null) body["ref"] = gitRef;
        return SendAsync(client, OpKind.Submit, SubmitKey(repoUrl, gitRef),
            cloud => cloud.Client.PostAsJsonAsync("/ingest", body, _stop.Token), target);
    }

    /// <summary>How a submission's <see cref="Operation.Key"/> names what it asked for: the repository and the ref.</summary>
    public static string SubmitKey(string repoUrl, string? gitRef) => $"{repoUrl}@{gitRef}";

    private async Task CancelLoopAsync(int client, TimeSpan every)
    {
        while (await PauseAsync(every))
        {
            var accepted = History.Where(o => o is { Kind: OpKind.Submit, Status: 202 } && o.Client != ScenarioClient)
                .Select(o => o.TaskId!).ToList();
            if (accepted.Count == 0) continue;
            var id = accepted[RandomInt(accepted.Count)];
            await SendAsync(client, OpKind.Cancel, id, cloud => cloud.Client.DeleteAsync($"/jobs/{id}", _stop.Token));
        }
    }

    /// <summary>One cancellation, recorded in the history like the canceller's; it runs after the workload stopped too.</summary>
    public Task<Operation> CancelAsync(int client, string taskId, CloudHost target) =>
        SendAsync(client, OpKind.Cancel, taskId, cloud => cloud.Client.DeleteAsync($"/jobs/{taskId}"), target, CancellationToken.None);

    private async Task<bool> PauseAsync(TimeSpan pause)
    {
        try { await Task.Delay(pause, _stop.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    private async Task<Operation> SendAsync(int client, OpKind kind, string key, Func<CloudHost, Task<HttpResponseMessage>> send,
        CloudHost? target = null, CancellationToken? token = null)
    {
        var stop = token ?? _stop.Token;
        var index = Interlocked.Increment(ref _next);
        var cloud = target ?? NextTarget();
        var invoked = DateTimeOffset.UtcNow;
        Operation op;
        try
        {
            using var response = await send(cloud);
            var body = await response.Content.ReadAsStringAsync(stop);
            string? taskId = null, detail = null;
            if (body.StartsWith('{'))
            {
                var json = JsonDocument.Parse(body).RootElement;
                if (json.TryGetProperty("task_id", out var id) && id.ValueKind == JsonValueKind.String) taskId = id.GetString();
                if (json.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString();
            }
            op = new Operation(index, client, kind, cloud.Name, key, invoked, DateTimeOffset.UtcNow, (int)response.StatusCode,
                kind == OpKind.Cancel ? key : taskId, detail);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            op = new Operation(index, client, kind, cloud.Name, key, invoked, DateTimeOffset.UtcNow, null,
                kind == OpKind.Cancel ? key : null, "the workload stopped before the answer");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            op = new Operation(index, client, kind, cloud.Name, key, invoked, DateTimeOffset.UtcNow, null,
                kind == OpKind.Cancel ? key : null, $"{e.GetType().Name}: {e.Message}");
        }
        lock (_history) _history.Add(op);
        return op;
    }

    /// <summary>Answers counted by kind and status, for the test output.</summary>
    public string Summary() => string.Join(", ", History.GroupBy(o => $"{o.Kind} {o.Status?.ToString() ?? "no answer"}")
        .OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"));

    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
