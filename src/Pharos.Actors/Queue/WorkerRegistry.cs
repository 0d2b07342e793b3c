using System.Diagnostics.CodeAnalysis;

namespace Pharos.Actors.Queue;

/// <summary>
/// The workers the queue knows and what it knows of them: which are idle, which were told work is pending, and
/// which worker reference holds which lease. Memory only (after a recovery the workers register again and name the
/// lease they still run under), and no actor in sight: <typeparamref name="TRef"/> is how a worker is addressed,
/// an <c>IActorRef</c> in <see cref="QueueActor"/>, any value in a property test.
/// </summary>
/// <remarks>
/// Connections change as messages arrive (<see cref="Register"/>, <see cref="Connect"/>, <see cref="Disconnect"/>:
/// the actor watches whom it hears from). Everything else changes only through <see cref="Commit"/>, once the
/// batch whose decisions made those <see cref="DispatchEffect{TRef}"/>s is durable.
/// </remarks>
public sealed class WorkerRegistry<TRef> where TRef : notnull
{
    private readonly Dictionary<TRef, WorkerEntry> _workers;
    // Lease id → the worker reference running under it.
    private readonly Dictionary<string, TRef> _holders;

    public WorkerRegistry()
    {
        _workers = new Dictionary<TRef, WorkerEntry>();
        _holders = new Dictionary<string, TRef>(StringComparer.Ordinal);
    }

    private WorkerRegistry(WorkerRegistry<TRef> from)
    {
        _workers = new Dictionary<TRef, WorkerEntry>(from._workers);
        _holders = new Dictionary<string, TRef>(from._holders, StringComparer.Ordinal);
    }

    /// <summary>Lease id → the worker reference running under it.</summary>
    public IReadOnlyDictionary<string, TRef> Holders => _holders;

    /// <summary>Workers known: those connected, since a worker is forgotten when it terminates or its node is removed.</summary>
    public int Count => _workers.Count;

    /// <summary>A worker registered from <paramref name="address"/>; true when it is new (the actor watches it).</summary>
    public bool Register(TRef worker, string workerId, string address)
    {
        var known = _workers.TryGetValue(worker, out var entry);
        _workers[worker] = known ? entry! with { Address = address } : new WorkerEntry(workerId, address);
        return !known;
    }

    /// <summary>
    /// A worker heard from without a registration (it asked for work): known from now on, at the address its
    /// reference names. True when it is new.
    /// </summary>
    public bool Connect(TRef worker, string workerId, string address) =>
        _workers.TryAdd(worker, new WorkerEntry(workerId, address));

    /// <summary>The worker is gone (terminated, or removed from the cluster); null when it was not known.</summary>
    /// <remarks>The leases it holds stay bound to it until the queue decides what becomes of them.</remarks>
    public WorkerEntry? Disconnect(TRef worker) => _workers.Remove(worker, out var entry) ? entry : null;

    public WorkerEntry? Find(TRef worker) => _workers.GetValueOrDefault(worker);

    /// <summary>The references registered under <paramref name="workerId"/> (more than one only while a successor takes over).</summary>
    public IEnumerable<TRef> WithId(string workerId) =>
        _workers.Where(known => known.Value.Id == workerId).Select(known => known.Key);

    public bool TryGetHolder(string leaseId, [MaybeNullWhen(false)] out TRef holder) => _holders.TryGetValue(leaseId, out holder);

    public bool HoldsALease(TRef worker) => _holders.Values.Contains(worker);

    /// <summary>The ids of the leases <paramref name="worker"/> runs under.</summary>
    public IReadOnlyList<string> LeasesOf(TRef worker) =>
        _holders.Where(h => EqualityComparer<TRef>.Default.Equals(h.Value, worker)).Select(h => h.Key).ToList();

    /// <summary>A copy to decide a batch against: the effects of its decisions apply to the copy at once.</summary>
    public WorkerRegistry<TRef> Draft() => new(this);

    public void Apply(DispatchEffect<TRef> effect)
    {
        switch (effect)
        {
            case LeaseGranted<TRef> granted:
                _holders[granted.LeaseId] = granted.Worker;
                Update(granted.Worker, w => w with { Idle = false, Offered = false });
                break;
            case LeaseResumed<TRef> resumed:
                _holders[resumed.LeaseId] = resumed.Worker;
                break;
            case LeaseRenewed<TRef>:
                break;
            case LeaseEnded<TRef> ended:
                _holders.Remove(ended.LeaseId);
                break;
            case LeaseRevoked<TRef> revoked:
                // Its holder is told to stop, and asks again once it has: it waits for nothing until then.
                if (_holders.Remove(revoked.LeaseId, out var holder)) Update(holder, w => w with { Idle = false });
                break;
            case WorkerWaiting<TRef> waiting:
                Update(waiting.Worker, w => w with { Idle = true, Offered = false });
                break;
            case WorkerIdle<TRef> idle:
                Update(idle.Worker, w => w with { Idle = true });
                break;
            default:
                throw new ArgumentException($"WorkerRegistry cannot apply {effect.GetType().Name}.", nameof(effect));
        }
    }

    /// <summary>
    /// The batch is durable: its effects apply, and when it added work (a task enqueued or requeued) while tasks are
    /// pending, the idle workers not yet told are marked told. Returns those, to be sent <c>WorkAvailable</c>.
    /// </summary>
    public IReadOnlyList<TRef> Commit(QueueBatch<TRef> batch, QueueState state)
    {
        foreach (var effect in batch.Effects) Apply(effect);
        if (!batch.AddsWork || state.PendingCount == 0) return [];
        var told = _workers.Where(w => w.Value is { Idle: true, Offered: false }).Select(w => w.Key).ToList();
        foreach (var worker in told) Update(worker, w => w with { Offered = true });
        return told;
    }

    private void Update(TRef worker, Func<WorkerEntry, WorkerEntry> change)
    {
        if (_workers.TryGetValue(worker, out var entry)) _workers[worker] = change(entry);
    }
}

/// <summary>A worker the queue knows.</summary>
/// <param name="Idle">Asked for work and got none (or registered running nothing): hears WorkAvailable when a task arrives.</param>
/// <param name="Offered">Told WorkAvailable and not heard asking since: not told again.</param>
public sealed record WorkerEntry(string Id, string Address, bool Idle = false, bool Offered = false);
