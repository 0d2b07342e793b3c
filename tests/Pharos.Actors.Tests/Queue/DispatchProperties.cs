using System.Text.Json;
using FsCheck;
using Pharos.Messages.Events;
using Pharos.Messages.Serialization;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// The dispatch contract stated over <see cref="QueueDecider{TRef}"/> and <see cref="WorkerRegistry{TRef}"/>
/// (through <see cref="QueueDriver"/>): random batches of submissions, cancellations, worker starts and restarts,
/// requests, reports under current and stale leases, lost workers, expired leases and sweeps, imports of the original
/// queue's tasks (never stale, stale on arrival, fresh; of new repositories or of ones already there), with workers that
/// act on what they were told. Checked after every batch.
/// </summary>
public sealed class DispatchProperties
{
    private const int Slots = 3;

    private enum Op { Enqueue, Import, Cancel, Start, Reregister, Request, Progress, Complete, Fail, Skip, StaleReport, Gone, Expire, Sweep }

    private sealed record Step(Op Op, int Slot, int Pick);

    /// <summary>Batches of one to four commands, each after a pause of 0 to 40 s (tasks live 120 s).</summary>
    private static Arbitrary<(int Seconds, Step[] Steps)[]> Batches() =>
        Gen.ArrayOf(
                from seconds in Gen.Choose(0, 40)
                from count in Gen.Choose(1, 4)
                from steps in Gen.ArrayOf(
                    from op in Gen.Elements(Enum.GetValues<Op>())
                    from slot in Gen.Choose(0, Slots - 1)
                    from pick in Gen.Choose(0, 30)
                    select new Step(op, slot, pick), count)
                select (seconds, steps))
            .Where(batches => batches.Length <= 40)
            .ToArbitrary();

    /// <summary>What a worker knows from what it was told; the model of WorkerActor's side of the protocol.</summary>
    private sealed class Belief
    {
        public (string TaskId, string LeaseId)? Running;
        /// <summary>Heard NoWorkAvailable, and nothing since.</summary>
        public bool Waiting;
        public int ToldSinceItAsked;
    }

    /// <summary>
    /// The queue and the workers of <see cref="Slots"/> worker ids. A worker id's process may restart: each start is
    /// a new reference (slot × 100 + incarnation) registering without a task, and the older ones never act again.
    /// </summary>
    private sealed class World
    {
        public readonly QueueDriver Queue = new(maxQueueSize: 5, maxAttempts: 3, ttlSeconds: 120);
        public readonly Dictionary<int, Belief> Beliefs = [];
        public readonly List<(string TaskId, string LeaseId)> Granted = [];
        private readonly List<int>[] _incarnations = Enumerable.Range(0, Slots).Select(_ => new List<int>()).ToArray();
        private readonly HashSet<int> _gone = [];
        private int _submitted;
        private int _observed;

        public static string IdOf(int worker) => $"w{worker / 100}";

        /// <summary>The worker of <paramref name="slot"/> that runs now, if one does.</summary>
        public int? Current(int slot) =>
            _incarnations[slot] is [.., var last] && !_gone.Contains(last) ? last : null;

        public bool IsCurrent(int worker) => Current(worker / 100) == worker;

        /// <summary>The command a step sends, from whom; null when it has nothing to send now.</summary>
        public (object Message, int From)? Resolve(Step step)
        {
            var current = Current(step.Slot);
            var id = $"w{step.Slot}";
            var belief = current is { } c ? Beliefs[c] : null;
            switch (step.Op)
            {
                case Op.Enqueue:
                    return (new EnqueueTask($"https://github.com/o/r{_submitted++}", (Priority)(step.Pick % 3), "t"), QueueDriver.Client);
                case Op.Import:
                    // Every other import names a repository submitted before: a duplicate when it is queued or running.
                    var repo = step.Pick % 2 == 0 || _submitted == 0 ? _submitted++ : step.Pick % _submitted;
                    ImportedTiming timing = (step.Pick / 2 % 3) switch
                    {
                        0 => new(null, null),
                        1 => new(Queue.Now.AddSeconds(-1_000), 120),
                        _ => new(Queue.Now.AddSeconds(-10), null),
                    };
                    return (new EnqueueTask($"https://github.com/o/r{repo}", Priority.Normal, "t", Imported: timing), QueueDriver.Client);
                case Op.Cancel:
                    return (new CancelJob($"t{step.Pick % Math.Max(1, Queue.TasksIssued):D3}", "t"), QueueDriver.Client);
                case Op.Start:
                    var started = step.Slot * 100 + _incarnations[step.Slot].Count;
                    _incarnations[step.Slot].Add(started);
                    Beliefs[started] = new Belief();
                    return (new RegisterWorker(id, QueueDriver.Address(started)), started);
                case Op.Reregister when current is { } worker:
                    return (new RegisterWorker(id, QueueDriver.Address(worker), belief!.Running?.TaskId, belief.Running?.LeaseId), worker);
                case Op.Request when current is { } worker:
                    belief!.Waiting = false;
                    belief.ToldSinceItAsked = 0;
                    return (new RequestWork(id), worker);
                case Op.Progress or Op.Complete or Op.Fail or Op.Skip when current is { } worker && belief!.Running is { } running:
                    var (taskId, leaseId) = running;
                    // Once it has reported an end, the worker runs nothing.
                    if (step.Op != Op.Progress) belief.Running = null;
                    // A completion comes from the cloud's intake once it stored the result, not from the worker.
                    return step.Op == Op.Complete
                        ? (new RecordResult(taskId, leaseId, new TaskMetrics("abc", 1, 1, 1, 0.5, new StageSeconds(), Dims: 8)), QueueDriver.Client)
                        : (step.Op switch
                        {
                            Op.Progress => new ReportProgress(taskId, leaseId,
                                step.Pick % 2 == 0 ? JobStage.Cloning : JobStage.Training, 0.5, "x"),
                            Op.Fail => new ReportFailed(taskId, leaseId, JobReason.CloneFailed, "gone"),
                            _ => (IWorkerReport)new ReportSkipped(taskId, leaseId, 200, 120),
                        }, worker);
                case Op.StaleReport when current is { } worker:
                    var ended = Granted.Where(g => Queue.State.CurrentLease(g.TaskId, g.LeaseId) is null).ToList();
                    if (ended.Count == 0) return null;
                    var (staleTask, staleLease) = ended[step.Pick % ended.Count];
                    return (new ReportFailed(staleTask, staleLease, JobReason.TrainingFailed, "late"), worker);
                case Op.Gone:
                    // The oldest of the slot's references the queue has not yet heard to be gone.
                    var gone = _incarnations[step.Slot].FirstOrDefault(w => !_gone.Contains(w), -1);
                    if (gone < 0) return null;
                    _gone.Add(gone);
                    return (new WorkerGone<int>(gone), QueueDriver.Client);
                case Op.Expire when Granted.Count > 0:
                    var (expiredTask, expiredLease) = Granted[step.Pick % Granted.Count];
                    return (new LeaseExpired(expiredTask, expiredLease), QueueDriver.Client);
                case Op.Sweep:
                    return (SweepExpired.Instance, QueueDriver.Client);
                default:
                    return null;
            }
        }

        /// <summary>The workers take in what the queue sent since the last call; returns those messages.</summary>
        public IReadOnlyList<(int To, object Message)> Observe()
        {
            var sent = Queue.Sent.Skip(_observed).ToList();
            _observed = Queue.Sent.Count;
            foreach (var (to, message) in sent)
            {
                if (!Beliefs.TryGetValue(to, out var belief)) continue;
                switch (message)
                {
                    case TaskAssigned assigned:
                        belief.Running = (assigned.Task.TaskId, assigned.LeaseId);
                        belief.Waiting = false;
                        Granted.Add((assigned.Task.TaskId, assigned.LeaseId));
                        break;
                    case NoWorkAvailable:
                        belief.Waiting = true;
                        break;
                    case WorkAvailable:
                        belief.Waiting = false;
                        belief.ToldSinceItAsked++;
                        break;
                    case StopTask stop when belief.Running == (stop.TaskId, stop.LeaseId):
                        belief.Running = null;
                        break;
                }
            }
            return sent;
        }

        /// <summary>What must hold after every batch; null when it does.</summary>
        public string? Broken(IReadOnlyList<(int To, object Message)> sent)
        {
            var state = Queue.State;
            var workers = Queue.Workers;
            var leases = state.Leases.ToDictionary(l => l.LeaseId);
            if (!workers.Holders.Keys.ToHashSet().SetEquals(leases.Keys))
                return $"holders [{string.Join(", ", workers.Holders.Keys)}] but leases [{string.Join(", ", leases.Keys)}]";
            if (workers.Holders.FirstOrDefault(h => leases[h.Key].WorkerId != IdOf(h.Value)) is { Key: not null } wrong)
                return $"lease {wrong.Key} of {leases[wrong.Key].WorkerId} is held by {wrong.Value}";
            if (workers.Holders.Values.GroupBy(w => w).FirstOrDefault(g => g.Count() > 1) is { } twice)
                return $"worker {twice.Key} holds {twice.Count()} leases";
            if (state.Leases.GroupBy(l => l.WorkerId).FirstOrDefault(g => g.Count() > 1) is { } twiceById)
                return $"worker id {twiceById.Key} holds {twiceById.Count()} leases";
            // A repository has one queued or running task at most, and it is the one the queue names as its active task.
            var unfinished = state.Jobs(int.MaxValue, null).Where(j => !j.IsFinal).ToList();
            if (unfinished.GroupBy(j => j.RepoUrl).FirstOrDefault(g => g.Count() > 1) is { } doubled)
                return $"{doubled.Key} has {doubled.Count()} unfinished tasks";
            if (unfinished.FirstOrDefault(j => state.ActiveJob(j.RepoUrl)?.TaskId != j.TaskId) is { } unnamed)
                return $"{unnamed.TaskId} of {unnamed.RepoUrl} is not its repository's active task ({state.ActiveJob(unnamed.RepoUrl)?.TaskId})";
            if (state.Sweep(Queue.Now).FirstOrDefault(e => state.Find(e.TaskId)!.NeverStale) is { } swept)
                return $"never-stale task {swept.TaskId} would be swept";
            foreach (var (to, message) in sent)
            {
                if (message is ImportAccepted { Job: { Status: JobStatus.Skipped } skipped } && (skipped.Reason != JobReason.TtlExpired
                        || skipped.AgeSeconds <= skipped.Ttl || skipped.SubmittedAt != skipped.Timeline[0].At))
                    return $"import {skipped.TaskId} skipped without its reason, age or original time";
                if (message is not TaskAssigned assigned) continue;
                if ((assigned.Task.SubmittedAt is null) != state.Find(assigned.Task.TaskId)!.NeverStale)
                    return $"{assigned.Task.TaskId} was handed out with submitted_at {assigned.Task.SubmittedAt?.ToString("O") ?? "null"}";
                if (workers.Find(to) is null) return $"{assigned.LeaseId} went to {to}, which is not registered";
                if (leases.ContainsKey(assigned.LeaseId) && !workers.Holders[assigned.LeaseId].Equals(to))
                    return $"{assigned.LeaseId} went to {to} but is held by {workers.Holders[assigned.LeaseId]}";
            }
            foreach (var (worker, belief) in Beliefs)
            {
                if (belief.ToldSinceItAsked > 1) return $"{worker} heard WorkAvailable {belief.ToldSinceItAsked} times without asking";
                if (!IsCurrent(worker) || workers.Find(worker) is null) continue;
                var held = workers.LeasesOf(worker);
                if (belief.Running?.LeaseId != held.SingleOrDefault())
                    return $"{worker} runs {belief.Running?.LeaseId ?? "nothing"} but holds [{string.Join(", ", held)}]";
                if (belief.Waiting && state.LiveCount(Queue.Now) > 0)
                    return $"{worker} waits while {state.LiveCount(Queue.Now)} live tasks are pending";
            }
            return null;
        }
    }

    private static Property Verdict(string? broken) => (broken is null).ToProperty().Label(broken ?? "ok");

    [Property(MaxTest = 300)]
    public Property Leases_go_to_registered_workers_one_each_and_idle_workers_hear_of_pending_work_once() =>
        Prop.ForAll(Batches(), batches =>
        {
            var world = new World();
            foreach (var (seconds, steps) in batches)
            {
                world.Queue.Now = world.Queue.Now.AddSeconds(seconds);
                var commands = steps.Select(world.Resolve).OfType<(object, int)>().ToArray();
                world.Queue.Batch(commands);
                if (world.Broken(world.Observe()) is { } broken)
                    return Verdict($"after [{string.Join(", ", commands.Select(c => c.Item1.GetType().Name))}]: {broken}");
            }
            return Verdict(null);
        });

    /// <summary>
    /// Group commit changes when things happen, never what: commands decided together (each against the events and
    /// effects of those before it) are answered as they are when each is decided and written alone. Lost workers
    /// are left out: the actor hears of them on arrival, ahead of commands that came before.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property Deciding_commands_together_answers_as_deciding_them_one_at_a_time() =>
        Prop.ForAll(Batches(), batches =>
        {
            var alone = new World();
            var sent = new List<(int Seconds, (object, int)[] Commands)>();
            foreach (var (seconds, steps) in batches)
            {
                alone.Queue.Now = alone.Queue.Now.AddSeconds(seconds);
                var commands = new List<(object, int)>();
                foreach (var step in steps.Where(s => s.Op != Op.Gone))
                {
                    if (alone.Resolve(step) is not { } command) continue;
                    commands.Add(command);
                    alone.Queue.Batch(command);
                    alone.Observe();
                }
                sent.Add((seconds, [.. commands]));
            }

            var together = new QueueDriver(maxQueueSize: 5, maxAttempts: 3, ttlSeconds: 120);
            foreach (var (seconds, commands) in sent)
            {
                together.Now = together.Now.AddSeconds(seconds);
                together.Batch(commands);
            }

            var (a, b) = (Answers(alone.Queue), Answers(together));
            var firstDifference = Enumerable.Range(0, Math.Min(a.Count, b.Count)).FirstOrDefault(i => a[i] != b[i], -1);
            if (firstDifference >= 0)
                return Verdict($"answer {firstDifference}: {a[firstDifference]} alone, {b[firstDifference]} together");
            if (a.Count != b.Count) return Verdict($"{a.Count} answers alone, {b.Count} together");
            if (!alone.Queue.Written.Select(Json).SequenceEqual(together.Written.Select(Json))) return Verdict("the journals differ");
            if (Json(alone.Queue.State.ToSnapshot()) != Json(together.State.ToSnapshot())) return Verdict("the states differ");
            return Verdict(alone.Queue.Workers.Holders.OrderBy(h => h.Key).SequenceEqual(together.Workers.Holders.OrderBy(h => h.Key))
                ? null
                : "the holders differ");
        });

    /// <summary>
    /// What the workers and clients were told, in order, without what depends on when batches are written
    /// (WorkAvailable goes out once per batch) or on arrival alone (WorkerRegistered).
    /// </summary>
    private static List<string> Answers(QueueDriver queue) =>
        queue.Sent.Where(s => s.Message is not (WorkAvailable or WorkerRegistered))
            .Select(s => $"{s.To} {s.Message.GetType().Name} {Json(s.Message)}")
            .ToList();

    private static string Json(object value) => JsonSerializer.Serialize(value, value.GetType(), PharosJson.Options);
}
