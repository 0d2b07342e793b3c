using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Status;

namespace Pharos.Actors.Edge;

/// <summary>How a worker makes its children; tests count what is made.</summary>
public sealed record WorkerStages(Func<CloneOrder, Props> CloneStep, Func<TrainOrder, Props> TrainStep);

/// <summary>
/// Runs tasks from the queue one at a time: pulls them (register, wait for WorkAvailable, RequestWork), skips a
/// stale one without cloning it, clones it with a CloneActor and embeds it with a TrainActor, reports progress to
/// the queue (which renews the lease) and its live status to every StatusTracker, and removes the work directory
/// whatever happens. A child that fails or crashes fails the task, never the worker.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private readonly WorkerSettings _settings;
    private readonly IActorRef _queueProxy;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    private readonly WorkerStages _stages;
    private readonly string _address;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    // The queue actor itself once it has answered a registration; the proxy until then.
    private IActorRef? _queue;
    private bool _askedForWork;
    private int _unansweredRegistrations;
    private Run? _run;
    private int _children;
    private WorkerStatusChanged _status;
    private DateTimeOffset _lastPublished = DateTimeOffset.MinValue;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerActor(WorkerSettings settings, IActorRef queueProxy, IActorRef mediator, TimeProvider clock, WorkerStages stages)
    {
        _settings = settings;
        _queueProxy = queueProxy;
        _mediator = mediator;
        _clock = clock;
        _stages = stages;
        _address = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _status = Status(WorkerState.Idle, null, null, null, "Idle");

        Receive<RegisterTick>(_ => Register());
        Receive<WorkerRegistered>(_ =>
        {
            Timers.Cancel(RegisterTick.Instance);
            _unansweredRegistrations = 0;
            if (!Sender.Equals(_queue))
            {
                if (_queue is not null) Context.Unwatch(_queue);
                _queue = Sender;
                Context.Watch(_queue);
            }
            _askedForWork = false;
            // The cluster is up now: whoever keeps the status hears this worker's (the one at start may have
            // gone to nobody).
            Publish();
            AskForWork();
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_queue), _ =>
        {
            // The singleton moved or restarted: register with its successor, naming the task still running.
            _log.Info("The queue is gone; registering again");
            _queue = null;
            _askedForWork = false;
            Register();
        });
        Receive<Terminated>(t => _run is not null && t.ActorRef.Equals(_run.Child), _ =>
            Fail(_run!.Stage == JobStage.Cloning ? JobReason.CloneFailed : JobReason.TrainingFailed,
                $"the {_run.Stage.ToName()} step stopped unexpectedly"));
        Receive<Terminated>(_ => { });

        Receive<WorkAvailable>(_ => AskForWork());
        Receive<NoWorkAvailable>(_ => { _askedForWork = false; });
        // The queue is recovering (its supervisor answers for it): the registration retry brings the worker back.
        Receive<Akka.Actor.Status.Failure>(failure => _log.Info("The queue is unavailable: {0}", failure.Cause.Message));
        Receive<TaskAssigned>(Start);
        Receive<StopTask>(Stop);
        Receive<RetryClone>(retry => retry.Run == _run, retry => StartClone(retry.Run));

        Receive<CloneProgressed>(_ => FromCurrentChild(), p => Progress(JobStage.Cloning, CloneFraction(p.Progress),
            $"Cloning... {(int)(100 * CloneFraction(p.Progress))}% ({p.Progress.ReceivedBytes / 1048576.0:0.0} MB)"));
        Receive<CloneSucceeded>(_ => FromCurrentChild(), Cloned);
        Receive<CloneFailed>(_ => FromCurrentChild(), CloneFailed);
        Receive<TrainProgressed>(_ => FromCurrentChild(), p => Progress(p.Stage, p.Fraction, p.Message));
        Receive<TrainSucceeded>(_ => FromCurrentChild(), Trained);
        Receive<TrainFailed>(_ => FromCurrentChild(), failed => Fail(JobReason.TrainingFailed, failed.Error));
        // Late messages of a child that was stopped.
        Receive<CloneProgressed>(_ => { });
        Receive<CloneSucceeded>(_ => { });
        Receive<CloneFailed>(_ => { });
        Receive<TrainProgressed>(_ => { });
        Receive<TrainSucceeded>(_ => { });
        Receive<TrainFailed>(_ => { });

        Receive<PublishTick>(_ => Publish());
        Receive<WorkerStatusRequested>(_ => Publish());
        Receive<SubscribeAck>(_ => { });
    }

    public static Props Props(WorkerSettings settings, IActorRef queueProxy, IActorRef mediator, TimeProvider clock,
        WorkerStages stages) =>
        Akka.Actor.Props.Create(() => new WorkerActor(settings, queueProxy, mediator, clock, stages));

    /// <summary>The real children: LibGit2Sharp clones and the Pharos.CodeGraph trainer.</summary>
    public static WorkerStages DefaultStages(WorkerSettings settings, Ingest.RepoUrlValidator validator) => new(
        order => CloneActor.Props(order, settings, validator),
        order => TrainActor.Props(order, settings));

    // A child that throws is stopped, and its Terminated fails the task; the worker itself carries on.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(Topics.WorkerStatusRequests, Self));
        Register();
        Publish();
    }

    protected override void PostStop()
    {
        if (_run is { Directory.Length: > 0 }) _ = WorkDirectories.DeleteAsync(_run.Directory);
        _mediator.Tell(new Publish(Topics.WorkerStatus,
            Status(WorkerState.Offline, null, null, null, "Stopped")));
    }

    private IActorRef Queue => _queue ?? _queueProxy;

    /// <summary>Registers through the proxy, and again every few seconds until the queue answers.</summary>
    private void Register()
    {
        if (++_unansweredRegistrations % 6 == 0)
            _log.Warning("No queue has answered this worker's registration for {0} s: is a cloud node reachable at PHAROS_SEEDS?",
                (_unansweredRegistrations - 1) * 5);
        _queueProxy.Tell(new RegisterWorker(_settings.WorkerId, _address, _run?.Task.TaskId, _run?.LeaseId));
        Timers.StartSingleTimer(RegisterTick.Instance, RegisterTick.Instance, TimeSpan.FromSeconds(5));
    }

    private void AskForWork()
    {
        if (_run is not null || _askedForWork || _queue is null) return;
        _askedForWork = true;
        _queue.Tell(new RequestWork(_settings.WorkerId));
    }

    private void Start(TaskAssigned assigned)
    {
        _askedForWork = false;
        if (_run is not null)
        {
            // The protocol never does this (one request, one answer); if it happens, the lease runs out and the
            // task goes to another worker.
            _log.Error("Task {0} assigned while running {1}; ignored", assigned.Task.TaskId, _run.Task.TaskId);
            return;
        }
        var task = assigned.Task;
        var now = _clock.GetUtcNow();
        if (task.IsStaleAt(now))
        {
            // Seed requirement 3.7: a task older than its TTL is recorded as skipped and never cloned.
            var age = task.AgeAt(now)!.Value.TotalSeconds;
            _log.Info("Task {0} is stale (age {1:0}s > ttl {2}s): skipped, not cloned", task.TaskId, age, task.TtlSeconds);
            Queue.Tell(new ReportSkipped(task.TaskId, assigned.LeaseId, Math.Round(age, 3), task.TtlSeconds));
            AskForWork();
            return;
        }

        _log.Info("Task {0}: {1} (attempt {2})", task.TaskId, task.RepoUrl, task.Attempt);
        _run = new Run(task, assigned.LeaseId);
        StartClone(_run);
    }

    private void StartClone(Run run)
    {
        run.Directory = WorkDirectories.NewAttempt(_settings.WorkRoot, run.Task.TaskId, run.Task.Attempt);
        Directory.CreateDirectory(_settings.WorkRoot);
        EnterStage(JobStage.Cloning, run.CloneRetries == 0 ? "Cloning..." : $"Cloning... (retry {run.CloneRetries})");
        run.Child = Context.Watch(Context.ActorOf(_stages.CloneStep(new CloneOrder(run.Task.RepoUrl, run.Checkout)), $"clone-{++_children}"));
    }

    private void Cloned(CloneSucceeded cloned)
    {
        var run = _run!;
        run.CommitSha = cloned.Result.CommitSha;
        run.CloneSeconds = run.StageClock.Elapsed.TotalSeconds;
        StopChild(run);
        EnterStage(JobStage.Parsing, "Parsing...");
        run.Child = Context.Watch(Context.ActorOf(_stages.TrainStep(new TrainOrder(run.Checkout, run.Task.RepoUrl, cloned.Result.CommitSha)),
            $"train-{++_children}"));
    }

    private void CloneFailed(CloneFailed failed)
    {
        var run = _run!;
        StopChild(run);
        if (failed.Transient && run.CloneRetries < _settings.CloneRetries)
        {
            var delay = _settings.CloneRetryBackoff * Math.Pow(2, run.CloneRetries++);
            _log.Warning("Clone of task {0} failed ({1}); retry {2} of {3} in {4}", run.Task.TaskId, failed.Error,
                run.CloneRetries, _settings.CloneRetries, delay);
            _ = WorkDirectories.DeleteAsync(run.Directory);
            Progress(JobStage.Cloning, 0, $"Clone failed, retrying in {delay.TotalSeconds:0} s: {failed.Error}");
            Timers.StartSingleTimer(RetryClone.Key, new RetryClone(run), delay);
            return;
        }
        Fail(JobReason.CloneFailed, failed.Error);
    }

    private void Trained(TrainSucceeded trained)
    {
        var run = _run!;
        var metrics = new TaskMetrics(run.CommitSha!, trained.FilesProcessed, trained.Edges, trained.EmbeddingsGenerated,
            trained.FinalLoss,
            new StageSeconds
            {
                Clone = Round(run.CloneSeconds), Parse = Round(trained.Parse.TotalSeconds),
                Train = Round(trained.Train.TotalSeconds), Store = Round(trained.Store.TotalSeconds),
            },
            trained.EmbeddingsPath);
        _log.Info("Task {0} completed: {1} files, {2} edges, loss {3:0.0000}", run.Task.TaskId, trained.FilesProcessed,
            trained.Edges, trained.FinalLoss);
        Queue.Tell(new ReportCompleted(run.Task.TaskId, run.LeaseId, metrics));
        Finish(Status(WorkerState.Idle, null, null, null, "Idle"));
    }

    private void Fail(JobReason reason, string error)
    {
        var run = _run!;
        _log.Warning("Task {0} failed in {1}: {2}", run.Task.TaskId, run.Stage.ToName(), error);
        Queue.Tell(new ReportFailed(run.Task.TaskId, run.LeaseId, reason, error));
        Finish(Status(WorkerState.Error, null, null, null, error) with { RepoUrl = run.Task.RepoUrl, TaskId = run.Task.TaskId });
    }

    private void Stop(StopTask stop)
    {
        if (_run is null || _run.Task.TaskId != stop.TaskId || _run.LeaseId != stop.LeaseId) return;
        _log.Info("Task {0} stopped: {1}", stop.TaskId, stop.Reason.ToName());
        Finish(Status(WorkerState.Idle, null, null, null, $"Idle (task {stop.TaskId} {stop.Reason.ToName()})"));
    }

    /// <summary>Ends the run: stops its child, removes its directory, publishes the new status and asks for work.</summary>
    private void Finish(WorkerStatusChanged status)
    {
        var run = _run!;
        StopChild(run);
        Timers.Cancel(RetryClone.Key);
        _ = WorkDirectories.DeleteAsync(run.Directory);
        _run = null;
        _status = status;
        Publish();
        AskForWork();
    }

    private void StopChild(Run run)
    {
        if (run.Child is null) return;
        Context.Unwatch(run.Child);
        Context.Stop(run.Child);
        run.Child = null;
    }

    private bool FromCurrentChild() => _run?.Child is { } child && child.Equals(Sender);

    private void EnterStage(JobStage stage, string message)
    {
        var run = _run!;
        run.Stage = stage;
        run.StageClock.Restart();
        _status = Status(WorkerState.Busy, run, stage, 0, message);
        Publish();
        ReportToQueue(run, force: true);
    }

    private void Progress(JobStage stage, double fraction, string message)
    {
        var run = _run!;
        if (stage != run.Stage)
        {
            EnterStage(stage, message);
            return;
        }
        _status = Status(WorkerState.Busy, run, stage, fraction, message);
        var wait = _settings.StatusInterval - (_clock.GetUtcNow() - _lastPublished);
        if (wait <= TimeSpan.Zero) Publish();
        else if (!Timers.IsTimerActive(PublishTick.Instance)) Timers.StartSingleTimer(PublishTick.Instance, PublishTick.Instance, wait);
        ReportToQueue(run, force: false);
    }

    /// <summary>Renews the lease: every stage change, and at most every ReportInterval in between.</summary>
    private void ReportToQueue(Run run, bool force)
    {
        if (!force && run.ReportClock.Elapsed < _settings.ReportInterval) return;
        run.ReportClock.Restart();
        Queue.Tell(new ReportProgress(run.Task.TaskId, run.LeaseId, _status.Stage ?? run.Stage, _status.Progress ?? 0,
            _status.Message ?? ""));
    }

    private void Publish()
    {
        Timers.Cancel(PublishTick.Instance);
        var now = _clock.GetUtcNow();
        _lastPublished = now;
        _status = _status with { At = now };
        _mediator.Tell(new Publish(Topics.WorkerStatus, _status));
    }

    private WorkerStatusChanged Status(WorkerState state, Run? run, JobStage? stage, double? progress, string message)
    {
        var now = _clock.GetUtcNow();
        // "since" is when the worker entered this state, not when the message was made.
        var since = _status is not null && _status.State == state && _status.TaskId == run?.Task.TaskId ? _status.Since : now;
        return new WorkerStatusChanged(_settings.WorkerId, _address, state, run?.Task.TaskId, run?.Task.RepoUrl, stage,
            progress is null ? null : Math.Round(progress.Value, 4), message, since, now);
    }

    private static double CloneFraction(CloneProgress p) =>
        p.TotalObjects > 0 ? Math.Clamp((double)p.ReceivedObjects / p.TotalObjects, 0, 1) : 0;

    private static double Round(double seconds) => Math.Round(seconds, 3);

    /// <summary>One task on this worker, from assignment to its end.</summary>
    private sealed class Run(WorkTask task, string leaseId)
    {
        public WorkTask Task { get; } = task;
        public string LeaseId { get; } = leaseId;
        /// <summary>A fresh one for every clone attempt; deleted with everything in it.</summary>
        public string Directory { get; set; } = "";
        /// <summary>
        /// The checkout, inside <see cref="Directory"/> and named as the repository is, so that a repository whose
        /// root is itself a package (imports name the package) gets the graph `pharos train ~/src/name` gives.
        /// </summary>
        public string Checkout => Path.Combine(Directory, WorkDirectories.CheckoutName(Task.RepoUrl));
        public JobStage Stage { get; set; } = JobStage.Cloning;
        public IActorRef? Child { get; set; }
        public int CloneRetries { get; set; }
        public string? CommitSha { get; set; }
        public double CloneSeconds { get; set; }
        public Stopwatch StageClock { get; } = Stopwatch.StartNew();
        public Stopwatch ReportClock { get; } = Stopwatch.StartNew();
    }

    private sealed class RegisterTick
    {
        public static readonly RegisterTick Instance = new();
    }

    private sealed class PublishTick
    {
        public static readonly PublishTick Instance = new();
    }

    private sealed record RetryClone(Run Run)
    {
        public const string Key = "retry-clone";
    }
}
