namespace Pharos.Actors.Queue;

/// <summary>
/// A change to the worker registry (<see cref="WorkerRegistry{TRef}.Apply"/>) and, for a lease, to its timer,
/// that a decision makes once its batch is durable.
/// </summary>
public abstract record DispatchEffect<TRef>;

/// <summary>
/// What happened to a lease. <see cref="Running"/>: the lease runs from now on, so the task's lease timer starts
/// again; otherwise the lease is over and the timer stops.
/// </summary>
public abstract record LeaseEffect<TRef>(string TaskId, string LeaseId, bool Running) : DispatchEffect<TRef>;

/// <summary>The worker asked and took the task: it holds the lease and is busy.</summary>
public sealed record LeaseGranted<TRef>(TRef Worker, string TaskId, string LeaseId) : LeaseEffect<TRef>(TaskId, LeaseId, true);

/// <summary>A registering worker still runs under the lease (the queue restarted or moved): it holds it again.</summary>
public sealed record LeaseResumed<TRef>(TRef Worker, string TaskId, string LeaseId) : LeaseEffect<TRef>(TaskId, LeaseId, true);

/// <summary>The worker reported under its lease.</summary>
public sealed record LeaseRenewed<TRef>(string TaskId, string LeaseId) : LeaseEffect<TRef>(TaskId, LeaseId, true);

/// <summary>The worker ended the task (completed, failed or skipped it): nobody holds the lease.</summary>
public sealed record LeaseEnded<TRef>(string TaskId, string LeaseId) : LeaseEffect<TRef>(TaskId, LeaseId, false);

/// <summary>
/// The lease is taken away (the task was cancelled, the worker went silent, was lost or restarted); its holder is
/// told to stop and is not idle until it asks again.
/// </summary>
public sealed record LeaseRevoked<TRef>(string TaskId, string LeaseId) : LeaseEffect<TRef>(TaskId, LeaseId, false);

/// <summary>The worker asked and nothing is pending: it waits for WorkAvailable.</summary>
public sealed record WorkerWaiting<TRef>(TRef Worker) : DispatchEffect<TRef>;

/// <summary>The worker registered running nothing: it is idle.</summary>
public sealed record WorkerIdle<TRef>(TRef Worker) : DispatchEffect<TRef>;
