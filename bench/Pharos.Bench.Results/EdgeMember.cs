using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Pharos.Actors.Configuration;
using Pharos.Actors.Hosting;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Commands;

namespace Pharos.Bench.Results;

/// <summary>
/// This process as an edge node of a real cloud node's cluster, configured as the edge node configures itself
/// (<see cref="PharosSettings.From"/> over the environment: PHAROS_SEEDS, PHAROS_CLUSTER_HOST/PORT, PHAROS_TLS_*;
/// <see cref="PharosAkkaHosting.WithPharosNode"/> with the edge role; the queue's singleton proxy). It delivers results
/// as a worker does: a task submitted with POST /ingest, leased from the queue, its result put in an outbox and handed
/// to a <see cref="ResultUploader"/> that finds the cloud's intake with <see cref="ResultIntake.Locate"/>, and the task
/// reported completed once the result is delivered.
/// </summary>
public sealed class EdgeMember : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IActorRef _leases;
    private readonly IActorRef _courier;
    private readonly HttpClient _http;
    private readonly string _outbox;

    private EdgeMember(IHost host, IActorRef leases, IActorRef courier, HttpClient http, string outbox)
    {
        _host = host;
        _leases = leases;
        _courier = courier;
        _http = http;
        _outbox = outbox;
    }

    public ActorSystem System => _host.Services.GetRequiredService<ActorSystem>();

    public HttpClient Http => _http;

    public static async Task<EdgeMember> StartAsync(string cloudUrl, string token, string outbox, string tag)
    {
        var builder = Host.CreateApplicationBuilder([]);
        builder.Logging.ClearProviders();
        // Warnings to stderr, so that stdout carries the report alone.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Akka", LogLevel.Warning);
        PharosSettings settings;
        try
        {
            settings = PharosSettings.From(builder.Configuration);
        }
        catch (SettingsException e)
        {
            throw new BenchException(e.Message);
        }
        builder.Services.AddAkka(PharosAkkaHosting.SystemName, akka => akka
            .WithPharosNode(settings, PharosAkkaHosting.EdgeRole)
            .AddHocon("akka { loglevel = WARNING, stdout-loglevel = ERROR }", HoconAddMode.Prepend)
            .WithQueueProxy());
        var host = builder.Build();
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        try
        {
            await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new BenchException($"this edge member did not join the cluster of {string.Join(", ", settings.Cluster.Seeds)} within 60 s");
        }
        Stats.Log(tag, $"edge member {cluster.SelfAddress} is up (TLS {(settings.Cluster.Tls is null ? "off" : "on")})");

        var queue = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<QueueProxy>();
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leases = system.ActorOf(Props.Create(() => new LeaseTaker(queue, $"bench-{tag}-{Environment.ProcessId}",
            cluster.SelfAddress.ToString(), registered)), "lease-taker");
        try
        {
            await registered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new BenchException("the queue did not answer RegisterWorker within 60 s");
        }
        var courier = system.ActorOf(Props.Create(() => new Courier()), "courier");

        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = new Uri(cloudUrl.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromMinutes(5),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new EdgeMember(host, leases, courier, http, outbox);
    }

    /// <summary>A task for a new repository URL (no DNS lookup: loopback), leased to this edge.</summary>
    public async Task<TaskAssigned> LeaseNewTaskAsync(string repoKey)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, string> { ["repo_url"] = $"https://localhost/{repoKey}" });
        using var response = await _http.PostAsync("ingest", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new BenchException($"POST /ingest answered {(int)response.StatusCode}: {text}");
        var taskId = JsonDocument.Parse(text).RootElement.GetProperty("task_id").GetString()!;
        var reply = new TaskCompletionSource<TaskAssigned>(TaskCreationOptions.RunContinuationsAsynchronously);
        _leases.Tell(new LeaseTaker.Take(reply));
        TaskAssigned assigned;
        try
        {
            assigned = await reply.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new BenchException($"task {taskId} was accepted but never leased to this edge within 60 s");
        }
        if (assigned.Task.TaskId != taskId)
            throw new BenchException($"leased task {assigned.Task.TaskId}, not {taskId}: is another worker on this cloud node?");
        return assigned;
    }

    /// <summary>Writes the bundle to the outbox as the TrainActor does (outside any timing) and returns its entry.</summary>
    public OutboxEntry PutInOutbox(TaskAssigned assigned, byte[] bundle) =>
        Outbox.Put(_outbox, assigned.Task.TaskId, assigned.LeaseId, stream => stream.Write(bundle));

    /// <summary>Delivers the entry with a <see cref="ResultUploader"/>; the courier times it from the uploader's start.</summary>
    public async Task<Delivery> DeliverAsync(OutboxEntry entry)
    {
        var reply = new TaskCompletionSource<Delivery>(TaskCreationOptions.RunContinuationsAsynchronously);
        _courier.Tell(new Courier.Deliver(entry, reply));
        var delivery = await reply.Task.WaitAsync(TimeSpan.FromMinutes(10));
        return delivery.Refused is { } refused ? throw new BenchException($"the cloud refused the result: {refused}") : delivery;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>
/// How one delivery went, in ms from the uploader's start: <paramref name="FirstAck"/> when the offer was answered (the
/// uploader hashed the file first), <paramref name="LastAck"/> when the last chunk but one was acknowledged, and
/// <paramref name="Milliseconds"/> its last word (after the last chunk, the intake checks the hash and stores the result).
/// </summary>
public sealed record Delivery(double Milliseconds, double FirstAck, double LastAck, int Acknowledgements, string? Refused);

/// <summary>
/// A worker of the pull protocol that runs nothing: it registers, and leases one task when asked
/// (<see cref="Take"/>), asking again when told <see cref="WorkAvailable"/>. The task's result completes it.
/// </summary>
public sealed class LeaseTaker : ReceiveActor, IWithTimers
{
    public sealed record Take(TaskCompletionSource<TaskAssigned> Reply);

    private sealed class RegisterTick { public static readonly RegisterTick Instance = new(); }

    private readonly IActorRef _queue;
    private readonly string _id;
    private readonly string _address;
    private TaskCompletionSource<TaskAssigned>? _waiting;
    private bool _asking;

    public ITimerScheduler Timers { get; set; } = null!;

    public LeaseTaker(IActorRef queue, string id, string address, TaskCompletionSource registered)
    {
        _queue = queue;
        _id = id;
        _address = address;
        Receive<RegisterTick>(_ => _queue.Tell(new RegisterWorker(_id, _address)));
        Receive<WorkerRegistered>(_ =>
        {
            Timers.Cancel(RegisterTick.Instance);
            registered.TrySetResult();
        });
        Receive<Take>(take =>
        {
            _waiting = take.Reply;
            Ask();
        });
        Receive<WorkAvailable>(_ =>
        {
            if (_waiting is not null && !_asking) Ask();
        });
        Receive<NoWorkAvailable>(_ => _asking = false);
        Receive<TaskAssigned>(assigned =>
        {
            _asking = false;
            if (_waiting is null)
            {
                // Not asked for: give it back so that it does not wait for its lease to lapse.
                _queue.Tell(new ReportFailed(assigned.Task.TaskId, assigned.LeaseId, JobReason.TrainingFailed, "bench: not asked for"));
                return;
            }
            _waiting.TrySetResult(assigned);
            _waiting = null;
        });
        Receive<StopTask>(_ => { });
    }

    protected override void PreStart()
    {
        Self.Tell(RegisterTick.Instance);
        Timers.StartPeriodicTimer(RegisterTick.Instance, RegisterTick.Instance, TimeSpan.FromSeconds(2));
    }

    private void Ask()
    {
        _asking = true;
        _queue.Tell(new RequestWork(_id));
    }
}

/// <summary>
/// The parent of one <see cref="ResultUploader"/> at a time, as the WorkerActor is in its Uploading state: starts it
/// and times it to <see cref="UploadDelivered"/>, counting the acknowledgements (the offer's answer and one per chunk).
/// </summary>
public sealed class Courier : ReceiveActor
{
    public sealed record Deliver(OutboxEntry Entry, TaskCompletionSource<Delivery> Reply);

    private TaskCompletionSource<Delivery>? _reply;
    private long _started;
    private long _firstAck;
    private long _lastAck;
    private int _acknowledgements;

    public Courier()
    {
        Receive<Deliver>(deliver =>
        {
            _reply = deliver.Reply;
            _acknowledgements = 0;
            _started = Stopwatch.GetTimestamp();
            var system = Context.System;
            Context.ActorOf(ResultUploader.Props(deliver.Entry, () => ResultIntake.Locate(system)));
        });
        Receive<UploadProgressed>(_ =>
        {
            _lastAck = Stopwatch.GetTimestamp();
            if (_acknowledgements++ == 0) _firstAck = _lastAck;
        });
        Receive<UploadDelivered>(_ => Finish(null));
        Receive<UploadRefused>(refused => Finish($"{refused.Refusal}: {refused.Detail}"));
    }

    private void Finish(string? refused)
    {
        var elapsed = Stats.Ms(Stopwatch.GetTimestamp() - _started);
        _reply?.TrySetResult(new Delivery(elapsed, Stats.Ms(_firstAck - _started), Stats.Ms(_lastAck - _started),
            _acknowledgements, refused));
        _reply = null;
    }
}
