namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// QueueActor's loop without the actor, over <see cref="QueueDecider{TRef}"/>, <see cref="QueueState"/> and
/// <see cref="WorkerRegistry{TRef}"/> with plain numbers for actor references: commands arrive (what the actor does
/// on receipt: it learns of workers and of their end), are decided as one batch, and the batch commits as if its
/// write succeeded. Everything sent is recorded in <see cref="Sent"/>. Ids are predictable: t000, t001, … for
/// tasks and l0, l1, … for leases.
/// </summary>
internal sealed class QueueDriver
{
    /// <summary>The sender of the commands that come from no worker.</summary>
    public const int Client = -1;

    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private int _tasks;
    private int _leases;

    public QueueDriver(int maxQueueSize = 1_000, int historySize = 1_000, int maxAttempts = 3, int ttlSeconds = 86_400)
    {
        Settings = QueueSettings.Default with
        {
            MaxQueueSize = maxQueueSize,
            TaskTtlSeconds = ttlSeconds,
            HistorySize = historySize,
            MaxAttempts = maxAttempts,
        };
        State = new QueueState(maxQueueSize, historySize, maxAttempts);
        Decider = new QueueDecider<int>(Settings, () => $"t{_tasks++:D3}", () => $"l{_leases++}");
    }

    public QueueSettings Settings { get; }
    public QueueState State { get; }
    public WorkerRegistry<int> Workers { get; } = new();
    public QueueDecider<int> Decider { get; }
    public DateTimeOffset Now { get; set; } = Epoch;
    public List<(int To, object Message)> Sent { get; } = [];

    /// <summary>Every event written, in order.</summary>
    public List<IPersistedEvent> Written { get; } = [];

    /// <summary>How many task ids were handed out: the tasks are t000 up to this.</summary>
    public int TasksIssued => _tasks;

    public static string Address(int worker) => $"akka.tcp://pharos@edge-{worker}:1";

    /// <summary>The commands arrive in this order while a write is in flight, and are then decided and written together.</summary>
    public QueueBatch<int> Batch(params (object Message, int From)[] commands)
    {
        var submitted = commands.Where(Receive).Select(c => new Received<int>(c.Message, c.From)).ToList();
        var batch = Decider.DecideBatch(State, Workers, submitted, Now);
        Written.AddRange(batch.Events);
        var offers = Workers.Commit(batch, State);
        Sent.AddRange(batch.Answers.Select(a => (a.To, a.Message)));
        Sent.AddRange(offers.Select(worker => (worker, (object)WorkAvailable.Instance)));
        return batch;
    }

    public QueueBatch<int> Send(object message, int from = Client) => Batch((message, from));

    /// <summary>Decides without applying anything: what the command would come to now.</summary>
    public Decision<int> Decide(object message, int from = Client) =>
        Decider.Decide(State, Workers, new Received<int>(message, from), Now);

    /// <summary>What QueueActor does as a command arrives; false when the command goes no further.</summary>
    private bool Receive((object Message, int From) command)
    {
        switch (command.Message)
        {
            case RegisterWorker registration:
                Workers.Register(command.From, registration.WorkerId, registration.Address);
                Sent.Add((command.From, new WorkerRegistered(registration.WorkerId, registration.Challenge)));
                return true;
            case RequestWork request:
                Workers.Connect(command.From, request.WorkerId, Address(command.From));
                return true;
            case WorkerGone<int> gone:
                // The actor hears Terminated, and decides a WorkerGone only for a worker it knew.
                return Workers.Disconnect(gone.Worker) is not null;
            default:
                return true;
        }
    }
}
