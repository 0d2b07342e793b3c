using Akka.Actor;
using Pharos.Actors.Edge.Jobs;
using Pharos.Actors.Ingest;
using Pharos.Api.Contracts;

namespace Pharos.Actors.Edge;

/// <summary>
/// What to clone for one attempt at a task. <paramref name="UseCredentials"/>: the task's submitter may have the edge's
/// git credentials used (its token was granted private repositories); otherwise the clone is anonymous.
/// <paramref name="Ref"/>: the branch, tag or commit to check out (null: the remote's default branch).
/// </summary>
public sealed record CloneOrder(string RepoUrl, string TargetDirectory, bool UseCredentials = false, string? Ref = null);

/// <summary>CloneActor → parent, at most every 100 ms while objects arrive.</summary>
public sealed record CloneProgressed(CloneProgress Progress) : IStepReport;

public sealed record CloneSucceeded(CloneResult Result) : IStepReport;

/// <summary><see cref="Transient"/>: trying again later may succeed (network, 5xx).</summary>
public sealed record CloneFailed(string Error, bool Transient, JobReason Reason = JobReason.CloneFailed) : IStepReport;

/// <summary>
/// Clones one repository for its parent WorkerActor: re-checks that the host is not internal (the edge resolves
/// names itself, and DNS may answer it differently than the cloud), then runs <see cref="RepositoryCloner"/> in a job
/// process of its own (<see cref="JobProcess"/>). Stopping the actor kills the process; the parent owns the directory.
/// </summary>
public sealed class CloneActor(CloneOrder order, WorkerSettings settings, RepoUrlValidator validator) : StepActor
{
    public static Props Props(CloneOrder order, WorkerSettings settings, RepoUrlValidator validator) =>
        Akka.Actor.Props.Create(() => new CloneActor(order, settings, validator));

    protected override async Task<IStepReport> Run(Action<IStepReport> report, CancellationToken ct)
    {
        var check = await validator.ValidateAsync(order.RepoUrl, ct).ConfigureAwait(false);
        // A host that did not resolve may resolve on a retry; every other refusal is the edge's policy, final.
        if (!check.Ok) return new CloneFailed($"refused to clone: {check.Error}", check.Transient);
        // A local repository that is not there fails here: no job process is started for it.
        if (RepositoryCloner.MissingLocalRepository(order.RepoUrl) is { } missing) return new CloneFailed(missing, Transient: false);
        // Without the grant the token does not even reach the job process.
        var request = settings.CloneRequestFor(order.RepoUrl, order.TargetDirectory, order.UseCredentials) with { Ref = order.Ref };
        var last = await settings.RunJobAsync(JobKind.Clone, JobJson.Line(request),
            line => { if (line.Cloning is { } p) report(new CloneProgressed(p)); }, ct).ConfigureAwait(false);
        return last switch
        {
            { Cloned: { } cloned } => new CloneSucceeded(cloned),
            { Error: { } error } => new CloneFailed(error.Message, error.Transient, error.Reason),
            _ => new CloneFailed("the clone process ended without a result", Transient: false, JobReason.AnalysisCrashed),
        };
    }

    protected override IStepReport Failed(Exception error) => error switch
    {
        OperationCanceledException => new CloneFailed("the clone was cancelled", Transient: false),
        _ => new CloneFailed(error.Message, Transient: false),
    };
}
