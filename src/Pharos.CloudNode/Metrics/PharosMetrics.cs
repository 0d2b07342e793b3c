using System.Collections.Frozen;
using Pharos.Actors.Queue;
using Pharos.Actors.Status;
using Pharos.CloudNode.Auth;
using Pharos.Messages.Status;
using Prometheus;

namespace Pharos.CloudNode.Metrics;

/// <summary>
/// The node's Prometheus metrics, in a registry of its own (not prometheus-net's static default), so that two nodes
/// in one process (tests) count apart. The actors feed it through <see cref="IQueueMetrics"/>, the status stream and
/// <see cref="AuthFailureLog.Recorded"/>; the HTTP layer counts ingest answers.
/// </summary>
public sealed class PharosMetrics : IQueueMetrics
{
    /// <summary>
    /// The `reason` label of a body over the size limit, refused before the gateway sees it; the other reasons of
    /// pharos_ingest_refused_total are the IngestRefusal names.
    /// </summary>
    public const string RefusalTooLarge = "too_large";

    private readonly Gauge _pending, _inFlight, _max, _workers, _liveConnections;
    private readonly Counter _accepted, _refused, _authFailures, _rateLimited, _imported;
    private readonly Histogram _stageSeconds, _journalWrite;
    private readonly FrozenDictionary<AuthFailureReason, Counter.Child> _authFailuresBy;
    private readonly FrozenDictionary<IngestRefusal, Counter.Child> _refusedBy;
    private readonly Counter.Child _refusedTooLarge, _importedQueued, _importedSkipped;

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public PharosMetrics(AuthFailureLog authFailures)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No exemplars: Pharos records no traces for them to point to, and looking for one costs every counted request.
        factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = (_, _) => Exemplar.None };
        _pending = factory.CreateGauge("pharos_queue_pending", "Live tasks waiting in the queue.");
        _inFlight = factory.CreateGauge("pharos_queue_in_flight", "Tasks a worker is running.");
        _max = factory.CreateGauge("pharos_queue_max", "The queue's cap (MAX_QUEUE_SIZE).");
        _workers = factory.CreateGauge("pharos_workers", "Workers by state.", "state");
        _accepted = factory.CreateCounter("pharos_ingest_accepted_total", "Submissions the queue accepted.");
        _refused = factory.CreateCounter("pharos_ingest_refused_total", "Submissions refused, by reason.", "reason");
        _imported = factory.CreateCounter("pharos_imported_total",
            "Tasks of the original Pharos's queue recorded by POST /admin/import: queued, or skipped as stale on arrival.", "outcome");
        _authFailures = factory.CreateCounter("pharos_auth_failures_total", "Requests with a missing or invalid token, by reason.", "reason");
        _rateLimited = factory.CreateCounter("pharos_rate_limited_total",
            "Requests refused with 429 by a rate limit: a token's requests_per_minute, a client's failed authentications, " +
            "or the live connections in all or from one address.", "limit");
        _liveConnections = factory.CreateGauge("pharos_live_connections", "Live status connections open (WebSocket and event stream).");
        _stageSeconds = factory.CreateHistogram("pharos_stage_duration_seconds", "Stage durations of completed jobs.",
            new HistogramConfiguration
            {
                LabelNames = ["stage"],
                // From a quick clone to a long training run.
                Buckets = Histogram.ExponentialBuckets(0.05, 2.5, 12),
            });
        _journalWrite = factory.CreateHistogram("pharos_journal_write_seconds", "Latency of the queue's group-commit writes.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        // Every known label from the start, at 0: a rate over a series that appears only with its first event misses it.
        foreach (var state in WireNames.Of<WorkerState>()) _workers.WithLabels(state).Set(0);
        // The labelled series are looked up once here, not per request: a 401 flood counts two of them per request.
        _authFailuresBy = Enum.GetValues<AuthFailureReason>().ToFrozenDictionary(r => r, r => _authFailures.WithLabels(r.ToSnakeCase()));
        _refusedBy = Enum.GetValues<IngestRefusal>().ToFrozenDictionary(r => r, r => _refused.WithLabels(r.ToName()));
        _refusedTooLarge = _refused.WithLabels(RefusalTooLarge);
        _importedQueued = _imported.WithLabels("queued");
        _importedSkipped = _imported.WithLabels("skipped");
        foreach (var limit in (string[])[Auth.RateLimits.TokenLimit, Auth.RateLimits.FailedAuthLimit,
                     Live.LiveConnectionLimits.TotalLimit, Live.LiveConnectionLimits.PerAddressLimit])
            _rateLimited.WithLabels(limit);
        authFailures.Recorded += reason => _authFailuresBy[reason].Inc();
        // The process's own figures, read at each scrape: dotnet_total_memory_bytes (the GC heap, GC.GetTotalMemory, what
        // dotnet-counters calls GC Heap Size), dotnet_collection_count_total{generation}, process_working_set_bytes,
        // process_cpu_seconds_total, process_num_threads, ... (bench/soak follows the GC heap through them).
        DotNetStats.Register(Registry);
    }

    public void Accepted() => _accepted.Inc();

    public void Refused(IngestRefusal reason) => _refusedBy[reason].Inc();

    /// <summary>An imported task was recorded: queued, or skipped as stale on arrival.</summary>
    public void Imported(bool skipped) => (skipped ? _importedSkipped : _importedQueued).Inc();

    /// <summary>A body over the size limit (413).</summary>
    public void RefusedTooLarge() => _refusedTooLarge.Inc();

    /// <summary>A live connection opened or closed (<see cref="Live.LiveConnectionSlot"/>).</summary>
    public void LiveConnectionOpened() => _liveConnections.Inc();

    public void LiveConnectionClosed() => _liveConnections.Dec();

    /// <summary>A request refused by <see cref="Auth.RateLimits"/> or <see cref="Live.LiveConnectionLimits"/>; <paramref name="limit"/> says which limit.</summary>
    public void RateLimited(string limit) => _rateLimited.WithLabels(limit).Inc();

    /// <summary>The status view the tracker pushes: the queue depth it carries is the queue's published one.</summary>
    public void Observe(WorkerStatusView view)
    {
        _pending.Set(view.Queue.Pending);
        _inFlight.Set(view.Queue.InFlight);
        _max.Set(view.Queue.Max);
        foreach (var state in Enum.GetValues<WorkerState>())
            _workers.WithLabels(state.ToName()).Set(view.Workers.Count(w => w.State == state));
    }

    public void BatchWritten(TimeSpan elapsed, int events) => _journalWrite.Observe(elapsed.TotalSeconds);

    public void TaskCompleted(StageSeconds stages)
    {
        if (stages.Clone is { } clone) _stageSeconds.WithLabels("clone").Observe(clone);
        if (stages.Parse is { } parse) _stageSeconds.WithLabels("parse").Observe(parse);
        if (stages.Train is { } train) _stageSeconds.WithLabels("train").Observe(train);
        if (stages.Store is { } store) _stageSeconds.WithLabels("store").Observe(store);
    }
}
