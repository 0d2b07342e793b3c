using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Pharos.Actors.Results;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Status;

namespace Pharos.Actors.Edge;

/// <summary>How a worker makes its children; tests count what is made.</summary>
public sealed record WorkerStages(Func<CloneOrder, Props> CloneStep, Func<TrainOrder, Props> TrainStep, Func<OutboxEntry, Props> UploadStep);

/// <summary>
/// Runs tasks from the queue one at a time: pulls them (register, wait for WorkAvailable, RequestWork), skips a
/// stale one without cloning it, clones it with a CloneActor and embeds it with a TrainActor, reports progress to
/// the queue (which renews the lease) and its live status to every StatusTracker, and removes the work directory
/// whatever happens. A child that fails or crashes fails the task, never the worker.
/// <para>
/// Its behaviours: <see cref="DeliveringLeftovers"/> first when the outbox holds results of runs before a restart,
/// then <see cref="Registering"/> until a queue answers, then <see cref="Idle"/>, then <see cref="Cloning"/>,
/// <see cref="Training"/> and <see cref="Uploading"/> while a task runs (all <see cref="Running"/>), and back to
/// Idle, or to Registering when the queue went away meanwhile. A queue that goes away mid-run does not stop the
/// run: the worker registers again naming the task and lease it runs under, and the queue binds that lease to it.
/// A task is completed by the cloud when it has stored the task's result; the worker reports only failures.
/// </para>
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

    // The queue actor itself once it has answered a registration; null while registering (again), when reports go
    // through the proxy. Assignments and stops are taken from it alone.
    private IActorRef? _queue;
    // Sent with each registration and echoed by the queue: an answer without it is not the queue's. Worker ids are
    // public (GET /worker/status), so the id alone would let any cluster member pose as the queue.
    private readonly string _challenge = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private int _unansweredRegistrations;
    // Idle only: a RequestWork is outstanding, so WorkAvailable need not send another.
    private bool _askedForWork;
    // The task being run, for PostStop's clean-up; the running behaviours get it as their argument.
    private Run? _run;
    private int _children;
    private WorkerStatusChanged _status;
    // When the last status went out (a TimeProvider timestamp): the throttle of publications within a stage.
    private long _lastPublished;

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
        Become(Registering);
    }

    public static Props Props(WorkerSettings settings, IActorRef queueProxy, IActorRef mediator, TimeProvider clock,
        WorkerStages stages) =>
        Akka.Actor.Props.Create(() => new WorkerActor(settings, queueProxy, mediator, clock, stages));

    /// <summary>The real children: LibGit2Sharp clones and the Pharos.CodeGraph trainer.</summary>
    public static WorkerStages DefaultStages(WorkerSettings settings, Ingest.RepoUrlValidator validator, ActorSystem system) => new(
        order => CloneActor.Props(order, settings, validator),
        order => TrainActor.Props(order, settings),
        entry => ResultUploader.Props(entry, () => ResultIntake.Locate(system)));

    // A child that throws is stopped, and its Terminated fails the task; the worker itself carries on.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(Topics.WorkerStatusRequests, Self));
        // Results computed before a restart go home first: registering now would void their leases and hand their
        // tasks out again, so their results would be refused as computed under lost leases.
        var leftovers = Outbox.Pending(_settings.OutboxRoot);
        if (leftovers.Count > 0)
        {
            _log.Info("Delivering {0} result(s) left in the outbox before taking work", leftovers.Count);
            DeliverLeftover(new Queue<OutboxEntry>(leftovers));
        }
        else
        {
            Register(running: null);
        }
        Publish();
    }

    /// <summary>
    /// Delivers results of runs before a restart, one at a time, then registers. The cloud completes their tasks
    /// if they still wait for them (their leases lapsed while this edge was away, and nobody else took them).
    /// </summary>
    private void DeliveringLeftovers(Queue<OutboxEntry> rest)
    {
        Receive<UploadProgressed>(p =>
        {
            _status = Status(WorkerState.Busy, null, JobStage.Uploading, p.Fraction,
                $"Uploading a result left by an earlier run... {(int)(100 * p.Fraction)}%");
            PublishWithinInterval();
        });
        Receive<UploadDelivered>(delivered =>
        {
            Context.Unwatch(Sender);
            _log.Info("Delivered the result of task {0} left by an earlier run", delivered.Entry.TaskId);
            DeliverLeftover(rest);
        });
        Receive<UploadRefused>(refused =>
        {
            Context.Unwatch(Sender);
            _log.Info("The cloud dropped the result of task {0} left by an earlier run: {1}", refused.Entry.TaskId, refused.Detail);
            DeliverLeftover(rest);
        });
        // The uploader crashed (its file vanished, say): the next entry goes, and this one waits for the next start.
        Receive<Terminated>(_ => DeliverLeftover(rest));
        InEveryState();
    }

    private void DeliverLeftover(Queue<OutboxEntry> rest)
    {
        if (!rest.TryDequeue(out var entry))
        {
            _status = Status(WorkerState.Idle, null, null, null, "Idle");
            Publish();
            Register(running: null);
            Become(Registering);
            return;
        }
        _status = Status(WorkerState.Busy, null, JobStage.Uploading, 0, $"Uploading the result of task {entry.TaskId} left by an earlier run...");
        Publish();
        Context.Watch(Context.ActorOf(_stages.UploadStep(entry), $"upload-{++_children}"));
        Become(() => DeliveringLeftovers(rest));
    }

    protected override void PostStop()
    {
        if (_run is { Directory.Length: > 0 }) _ = WorkDirectories.DeleteAsync(_run.Directory);
        _mediator.Tell(new Publish(Topics.WorkerStatus,
            Status(WorkerState.Offline, null, null, null, "Stopped")));
    }

    /// <summary>No queue has answered yet, or the one that had is gone: registers every few seconds until one does.</summary>
    private void Registering()
    {
        Receive<RegisterTick>(_ => Register(running: null));
        Receive<WorkerRegistered>(IsOurs, _ =>
        {
            Registered();
            BecomeIdle();
        });
        // Offers and answers of a queue that is gone: the queue that answers the registration is asked instead.
        Receive<WorkAvailable>(_ => { });
        Receive<NoWorkAvailable>(_ => { });
        // Only a queue whose death notice overtook its answer sends this now: the lease runs out, or the
        // registration (naming no run) voids it, and the task is requeued.
        Receive<TaskAssigned>(assigned =>
            _log.Warning("Task {0} assigned while registering; ignored", assigned.Task.TaskId));
        InEveryState();
    }

    /// <summary>Registered and free: asks the queue for a task whenever it says one is pending.</summary>
    private void Idle()
    {
        Receive<WorkAvailable>(_ => FromQueue(), _ => AskForWork());
        Receive<NoWorkAvailable>(_ => FromQueue(), _ => { _askedForWork = false; });
        Receive<TaskAssigned>(_ => FromQueue(), Start);
        Receive<Terminated>(t => t.ActorRef.Equals(_queue), _ =>
        {
            QueueGone(running: null);
            Become(Registering);
        });
        // A second answer to a registration (the retry crossed the first answer), or a successor's.
        Receive<WorkerRegistered>(IsOurs, _ =>
        {
            Registered();
            BecomeIdle();
        });
        InEveryState();
    }

    /// <summary>The clone step of <paramref name="run"/>, including the wait before a retry.</summary>
    private void Cloning(Run run)
    {
        Receive<CloneProgressed>(_ => IsCurrentChild(run), p => Progress(run, JobStage.Cloning, CloneFraction(p.Progress),
            $"Cloning... {(int)(100 * CloneFraction(p.Progress))}% ({p.Progress.ReceivedBytes / 1048576.0:0.0} MB)"));
        Receive<CloneSucceeded>(_ => IsCurrentChild(run), cloned => Cloned(run, cloned));
        Receive<CloneFailed>(_ => IsCurrentChild(run), failed => CloneFailed(run, failed));
        // Cancelled with the run (Finish), so the retry can only be this run's.
        Receive<RetryClone>(_ => StartClone(run));
        Receive<Terminated>(t => t.ActorRef.Equals(run.Child), _ => ChildStopped(run, JobReason.CloneFailed));
        Running(run);
    }

    /// <summary>The parse, train and store steps of <paramref name="run"/>, all made by one TrainActor.</summary>
    private void Training(Run run)
    {
        Receive<TrainProgressed>(_ => IsCurrentChild(run), p => Progress(run, p.Stage, p.Fraction, p.Message));
        Receive<TrainSucceeded>(_ => IsCurrentChild(run), trained => Trained(run, trained));
        Receive<TrainFailed>(_ => IsCurrentChild(run), failed => Fail(run, failed.Reason, failed.Error));
        Receive<Terminated>(t => t.ActorRef.Equals(run.Child), _ => ChildStopped(run, JobReason.TrainingFailed));
        Running(run);
    }

    /// <summary>The result goes to the cloud: the task is reported completed only once the cloud has stored it.</summary>
    private void Uploading(Run run)
    {
        Receive<UploadProgressed>(_ => IsCurrentChild(run), p => Progress(run, JobStage.Uploading, p.Fraction,
            $"Uploading... {(int)(100 * p.Fraction)}% ({p.Received / 1048576.0:0.0} of {p.Total / 1048576.0:0.0} MB)"));
        Receive<UploadDelivered>(_ => IsCurrentChild(run), _ => Delivered(run));
        Receive<UploadRefused>(_ => IsCurrentChild(run), refused =>
        {
            if (refused.Refusal != ResultRefusal.LeaseLost)
            {
                Fail(run, refused.Refusal.JobReason() ?? JobReason.TrainingFailed, $"the cloud refused the result: {refused.Detail}");
                return;
            }
            // The task went on without this worker: nothing to report under a lease that is not its own.
            _log.Info("Task {0}: the cloud dropped its result ({1})", run.Task.TaskId, refused.Detail);
            Finish(run, Status(WorkerState.Idle, null, null, null, $"Idle (task {run.Task.TaskId}: lease lost)"));
        });
        Receive<Terminated>(t => t.ActorRef.Equals(run.Child), _ => ChildStopped(run, JobReason.TrainingFailed));
        Running(run);
    }

    /// <summary>What a running worker does whatever step the run is at.</summary>
    private void Running(Run run)
    {
        Receive<StopTask>(stop => FromQueue() && stop.TaskId == run.Task.TaskId && stop.LeaseId == run.LeaseId, stop =>
        {
            _log.Info("Task {0} stopped: {1}", stop.TaskId, stop.Reason.ToName());
            Finish(run, Status(WorkerState.Idle, null, null, null, $"Idle (task {stop.TaskId} {stop.Reason.ToName()})"));
        });
        Receive<TaskAssigned>(_ => FromQueue(), assigned =>
            // The protocol never does this (one request, one answer); if it happens, the lease runs out and the
            // task goes to another worker.
            _log.Error("Task {0} assigned while running {1}; ignored", assigned.Task.TaskId, run.Task.TaskId));
        // The singleton moved or restarted: the run goes on, and the worker registers with the queue's successor
        // naming it, so that its lease stays this worker's.
        Receive<Terminated>(t => t.ActorRef.Equals(_queue), _ => QueueGone(run));
        Receive<RegisterTick>(_ => Register(run));
        Receive<WorkerRegistered>(IsOurs, _ => Registered());
        // Nothing to ask for while busy: the queue is asked again when the run ends.
        Receive<WorkAvailable>(_ => { });
        Receive<NoWorkAvailable>(_ => { });
        InEveryState();
    }

    /// <summary>Last in every behaviour: what any state answers, and what it drops on purpose.</summary>
    private void InEveryState()
    {
        // The queue's commands from anyone else: a member posing as the queue (a task of its choice, a stop, a
        // registration answer it cannot have had). Refused and logged.
        Receive<TaskAssigned>(_ => !FromQueue(), assigned => Refused(assigned, assigned.Task.TaskId));
        Receive<StopTask>(_ => !FromQueue(), stop => Refused(stop, stop.TaskId));
        Receive<WorkerRegistered>(registered => !IsOurs(registered), registered => Refused(registered, null));
        // Offers from anyone but the queue: nothing to do (an idle worker asks its own queue).
        Receive<WorkAvailable>(_ => { });
        Receive<NoWorkAvailable>(_ => { });
        Receive<PublishTick>(_ => Publish());
        Receive<WorkerStatusRequested>(_ => Publish());
        Receive<SubscribeAck>(_ => { });
        // The queue is recovering (its supervisor answers for it): the registration retry brings the worker back. A
        // failure may come without a cause (seen when the cloud node was cut from Redis): that must not crash the worker.
        Receive<Akka.Actor.Status.Failure>(failure =>
            _log.Info("The queue is unavailable: {0}", failure.Cause?.Message ?? "no reason given"));
        // A run that has ended, or another lease: nothing of it runs here.
        Receive<StopTask>(_ => { });
        // A stopped child reports until its thread sees the cancellation: normal, so not logged as a dead letter.
        Receive<IStepReport>(_ => { });
        // Only the queue and the current child are watched; an unhandled Terminated would kill the worker.
        Receive<Terminated>(_ => { });
    }

    /// <summary>Whether the message comes from the queue this worker registered with.</summary>
    private bool FromQueue() => _queue is not null && Sender.Equals(_queue);

    /// <summary>An answer to this worker's own registration (only the queue it reached has seen the challenge).</summary>
    private bool IsOurs(WorkerRegistered registered) =>
        registered.WorkerId == _settings.WorkerId && registered.Challenge == _challenge;

    private void Refused(object message, string? taskId) =>
        _log.Warning("Refused {0}{1} from {2}: not the queue this worker registered with", message.GetType().Name,
            taskId is null ? "" : $" of task {taskId}", Sender);

    /// <summary>Registers through the proxy, and again every few seconds until a queue answers.</summary>
    private void Register(Run? running)
    {
        if (++_unansweredRegistrations % 6 == 0)
            _log.Warning("No queue has answered this worker's registration for {0} s: is a cloud node reachable at PHAROS_SEEDS?",
                (_unansweredRegistrations - 1) * 5);
        _queueProxy.Tell(new RegisterWorker(_settings.WorkerId, _address, running?.Task.TaskId, running?.LeaseId, _challenge));
        Timers.StartSingleTimer(RegisterTick.Instance, RegisterTick.Instance, TimeSpan.FromSeconds(5));
    }

    /// <summary>A queue answered: the worker talks to it directly from now on, and watches it.</summary>
    private void Registered()
    {
        Timers.Cancel(RegisterTick.Instance);
        _unansweredRegistrations = 0;
        if (!Sender.Equals(_queue))
        {
            if (_queue is not null) Context.Unwatch(_queue);
            _queue = Sender;
            Context.Watch(_queue);
        }
        // The cluster is up now: whoever keeps the status hears this worker's (the one at start may have gone to
        // nobody).
        PublishWithinInterval();
    }

    private void QueueGone(Run? running)
    {
        _log.Info("The queue is gone; registering again");
        _queue = null;
        Register(running);
    }

    private void BecomeIdle()
    {
        _askedForWork = false;
        Become(Idle);
        AskForWork();
    }

    private void AskForWork()
    {
        if (_askedForWork) return;
        _askedForWork = true;
        Queue.Tell(new RequestWork(_settings.WorkerId));
    }

    private IActorRef Queue => _queue ?? _queueProxy;

    private void Start(TaskAssigned assigned)
    {
        _askedForWork = false;
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
        var run = _run = new Run(task, assigned.LeaseId);
        StartClone(run);
        Become(() => Cloning(run));
    }

    private void StartClone(Run run)
    {
        run.Directory = WorkDirectories.NewAttempt(_settings.WorkRoot, run.Task.TaskId, run.Task.Attempt);
        Directory.CreateDirectory(_settings.WorkRoot);
        EnterStage(run, JobStage.Cloning, run.CloneRetries == 0 ? "Cloning..." : $"Cloning... (retry {run.CloneRetries})");
        run.Child = Context.Watch(Context.ActorOf(_stages.CloneStep(new CloneOrder(run.Task.RepoUrl, run.Checkout, run.Task.PrivateRepos, run.Task.Ref)),
            $"clone-{++_children}"));
    }

    private void Cloned(Run run, CloneSucceeded cloned)
    {
        run.CommitSha = cloned.Result.CommitSha;
        run.CloneSeconds = _clock.GetElapsedTime(run.StageStarted).TotalSeconds;
        StopChild(run);
        EnterStage(run, JobStage.Parsing, "Parsing...");
        var order = new TrainOrder(run.Checkout, run.Task.RepoUrl, cloned.Result.CommitSha, run.Task.TaskId, run.LeaseId,
            Round(run.CloneSeconds), run.Task.Ref);
        run.Child = Context.Watch(Context.ActorOf(_stages.TrainStep(order), $"train-{++_children}"));
        Become(() => Training(run));
    }

    private void CloneFailed(Run run, CloneFailed failed)
    {
        StopChild(run);
        if (failed.Transient && run.CloneRetries < _settings.CloneRetries)
        {
            var delay = _settings.CloneRetryBackoff * Math.Pow(2, run.CloneRetries++);
            _log.Warning("Clone of task {0} failed ({1}); retry {2} of {3} in {4}", run.Task.TaskId, failed.Error,
                run.CloneRetries, _settings.CloneRetries, delay);
            _ = WorkDirectories.DeleteAsync(run.Directory);
            Progress(run, JobStage.Cloning, 0, $"Clone failed, retrying in {delay.TotalSeconds:0} s: {failed.Error}");
            Timers.StartSingleTimer(RetryClone.Instance, RetryClone.Instance, delay);
            return;
        }
        Fail(run, failed.Reason, failed.Error);
    }

    private void Trained(Run run, TrainSucceeded trained)
    {
        _log.Info("Task {0} trained: {1} files, {2} edges, loss {3:0.0000}; uploading the result", run.Task.TaskId,
            trained.FilesProcessed, trained.Edges, trained.FinalLoss);
        StopChild(run);
        EnterStage(run, JobStage.Uploading, "Uploading...");
        run.Child = Context.Watch(Context.ActorOf(_stages.UploadStep(trained.Result), $"upload-{++_children}"));
        Become(() => Uploading(run));
    }

    private void Delivered(Run run)
    {
        // The cloud completed the task as it stored the result; nothing is left to report.
        _log.Info("Task {0} completed: the cloud stored its result", run.Task.TaskId);
        Finish(run, Status(WorkerState.Idle, null, null, null, "Idle"));
    }

    private void ChildStopped(Run run, JobReason reason) =>
        Fail(run, reason, $"the {run.Stage.ToName()} step stopped unexpectedly");

    private void Fail(Run run, JobReason reason, string error)
    {
        _log.Warning("Task {0} failed in {1}: {2}", run.Task.TaskId, run.Stage.ToName(), error);
        Queue.Tell(new ReportFailed(run.Task.TaskId, run.LeaseId, reason, error));
        Finish(run, Status(WorkerState.Error, null, null, null, error) with { RepoUrl = run.Task.RepoUrl, TaskId = run.Task.TaskId });
    }

    /// <summary>
    /// Ends the run: stops its child, removes its directory, publishes the new status, and asks for work (or goes on
    /// registering, when the queue went away during the run).
    /// </summary>
    private void Finish(Run run, WorkerStatusChanged status)
    {
        StopChild(run);
        Timers.Cancel(RetryClone.Instance);
        _ = WorkDirectories.DeleteAsync(run.Directory);
        _run = null;
        _status = status;
        Publish();
        if (_queue is null) Become(Registering);
        else BecomeIdle();
    }

    private void StopChild(Run run)
    {
        if (run.Child is null) return;
        Context.Unwatch(run.Child);
        Context.Stop(run.Child);
        run.Child = null;
    }

    private bool IsCurrentChild(Run run) => run.Child is { } child && child.Equals(Sender);

    private void EnterStage(Run run, JobStage stage, string message)
    {
        run.Stage = stage;
        run.StageStarted = _clock.GetTimestamp();
        _status = Status(WorkerState.Busy, run, stage, 0, message);
        Publish();
        ReportToQueue(run, force: true);
    }

    private void Progress(Run run, JobStage stage, double fraction, string message)
    {
        if (stage != run.Stage)
        {
            EnterStage(run, stage, message);
            return;
        }
        _status = Status(WorkerState.Busy, run, stage, fraction, message);
        PublishWithinInterval();
        ReportToQueue(run, force: false);
    }

    /// <summary>
    /// Publishes now if the last publication is at least StatusInterval old, else once it is: a registration answered
    /// twice (a retry under load) never doubles the rate. State and stage changes, and a new tracker's request,
    /// publish at once.
    /// </summary>
    private void PublishWithinInterval()
    {
        var wait = _settings.StatusInterval - _clock.GetElapsedTime(_lastPublished);
        if (wait <= TimeSpan.Zero) Publish();
        else if (!Timers.IsTimerActive(PublishTick.Instance)) Timers.StartSingleTimer(PublishTick.Instance, PublishTick.Instance, wait);
    }

    /// <summary>Renews the lease: every stage change, and at most every ReportInterval in between.</summary>
    private void ReportToQueue(Run run, bool force)
    {
        if (!force && _clock.GetElapsedTime(run.LastReported) < _settings.ReportInterval) return;
        run.LastReported = _clock.GetTimestamp();
        Queue.Tell(new ReportProgress(run.Task.TaskId, run.LeaseId, _status.Stage ?? run.Stage, _status.Progress ?? 0,
            _status.Message ?? ""));
    }

    private void Publish()
    {
        Timers.Cancel(PublishTick.Instance);
        _lastPublished = _clock.GetTimestamp();
        _status = _status with { At = _clock.GetUtcNow() };
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
        /// <summary>When <see cref="Stage"/> began (a TimeProvider timestamp).</summary>
        public long StageStarted { get; set; }
        /// <summary>When the queue last heard of the run (a TimeProvider timestamp); every stage change reports.</summary>
        public long LastReported { get; set; }
    }

    private sealed class RegisterTick
    {
        public static readonly RegisterTick Instance = new();
    }

    private sealed class PublishTick
    {
        public static readonly PublishTick Instance = new();
    }

    private sealed class RetryClone
    {
        public static readonly RetryClone Instance = new();
    }
}
