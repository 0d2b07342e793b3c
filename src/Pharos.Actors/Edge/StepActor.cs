using Akka.Actor;

namespace Pharos.Actors.Edge;

/// <summary>What a CloneActor or TrainActor tells its parent; only the current child of a running task is heard.</summary>
public interface IStepReport;

/// <summary>
/// One step of a run (clone, train) for the parent WorkerActor, off the actor's thread (in a job process of its own): what <see cref="Run"/> reports
/// and its result go to the parent, a failure as <see cref="Failed"/> maps it. Stopping the actor cancels the step; the
/// parent drops whatever a cancelled step still sends (<see cref="IStepReport"/>).
/// </summary>
public abstract class StepActor : ReceiveActor
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The step; <paramref name="report"/> tells the parent how far it is, from any thread.</summary>
    protected abstract Task<IStepReport> Run(Action<IStepReport> report, CancellationToken ct);

    /// <summary>The parent's message for a step that threw (or was cancelled).</summary>
    protected abstract IStepReport Failed(Exception error);

    protected override void PreStart()
    {
        var parent = Context.Parent;
        var self = Self;
        var ct = _cancel.Token;
        Task.Run(() => Run(report => parent.Tell(report, self), ct), ct).PipeTo(parent, self, failure: Failed);
    }

    protected override void PostStop()
    {
        // Not disposed: the step's thread may still be reading the token when it sees the cancellation.
        _cancel.Cancel();
    }
}
