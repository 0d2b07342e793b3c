using Akka.Actor;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Edge;

/// <summary>What to clone for one attempt at a task.</summary>
public sealed record CloneOrder(string RepoUrl, string TargetDirectory);

/// <summary>CloneActor → parent, at most every 100 ms while objects arrive.</summary>
public sealed record CloneProgressed(CloneProgress Progress) : IStepReport;

public sealed record CloneSucceeded(CloneResult Result) : IStepReport;

/// <summary><see cref="Transient"/>: trying again later may succeed (network, 5xx).</summary>
public sealed record CloneFailed(string Error, bool Transient) : IStepReport;

/// <summary>
/// Clones one repository for its parent WorkerActor: re-checks that the host is not internal (the edge resolves
/// names itself, and DNS may answer it differently than the cloud), then runs <see cref="RepositoryCloner"/> on a
/// thread of its own. Stopping the actor cancels the clone; the parent owns the directory.
/// </summary>
public sealed class CloneActor : ReceiveActor
{
    private readonly CloneOrder _order;
    private readonly WorkerSettings _settings;
    private readonly RepoUrlValidator _validator;
    private readonly CancellationTokenSource _cancel = new();

    public CloneActor(CloneOrder order, WorkerSettings settings, RepoUrlValidator validator)
    {
        _order = order;
        _settings = settings;
        _validator = validator;
    }

    public static Props Props(CloneOrder order, WorkerSettings settings, RepoUrlValidator validator) =>
        Akka.Actor.Props.Create(() => new CloneActor(order, settings, validator));

    protected override void PreStart()
    {
        var parent = Context.Parent;
        var self = Self;
        var ct = _cancel.Token;
        Task.Run(async () =>
        {
            var check = await _validator.ValidateAsync(_order.RepoUrl, ct).ConfigureAwait(false);
            if (!check.Ok) return (object)new CloneFailed($"refused to clone: {check.Error}", Transient: false);
            // libgit2 blocks its thread for the whole transfer: give it one of its own rather than a pool thread.
            return await Task.Factory.StartNew(() => (object)new CloneSucceeded(RepositoryCloner.Clone(
                    new CloneRequest(_order.RepoUrl, _order.TargetDirectory, _settings.MaxRepoBytes, _settings.CloneTimeout,
                        _settings.GitToken),
                    progress => parent.Tell(new CloneProgressed(progress), self), ct)),
                ct, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }, ct).PipeTo(parent, self, failure: e => e switch
        {
            CloneFailedException failed => new CloneFailed(failed.Message, failed.Transient),
            OperationCanceledException => new CloneFailed("the clone was cancelled", Transient: false),
            _ => new CloneFailed(e.Message, Transient: false),
        });
    }

    protected override void PostStop()
    {
        // Not disposed: the worker thread may still be reading the token when it sees the cancellation.
        _cancel.Cancel();
    }
}
