using Akka.Actor;
using Pharos.Actors.Edge.Jobs;
using Pharos.Actors.Results;
using Pharos.Api.Contracts;
using Pharos.Messages;

namespace Pharos.Actors.Edge;

/// <summary>
/// What to embed: a checked-out repository at a known commit (the one <paramref name="Ref"/> resolved to; null: the
/// default branch), for a task under a lease; the clone took <paramref name="CloneSeconds"/>.
/// </summary>
public sealed record TrainOrder(string RepositoryDirectory, string RepoUrl, string CommitSha, string TaskId, string LeaseId,
    double CloneSeconds = 0, string? Ref = null);

/// <summary>TrainActor → parent: a stage began (<paramref name="Fraction"/> 0) or moved on.</summary>
/// <param name="Stage">Parsing, training or storing.</param>
public sealed record TrainProgressed(JobStage Stage, double Fraction, string Message) : IStepReport;

/// <summary>TrainActor → parent: the result is whole in the outbox, ready to go to the cloud.</summary>
public sealed record TrainSucceeded(int FilesProcessed, int Edges, double FinalLoss, OutboxEntry Result) : IStepReport;

public sealed record TrainFailed(string Error, JobReason Reason = JobReason.TrainingFailed) : IStepReport;

/// <summary>
/// Parses and trains one checked-out repository for its parent WorkerActor, in a job process of its own
/// (<see cref="JobProcess"/>): the repository's content never reaches this process's parsers. The job writes the
/// result (graph, training and vectors, one bundle) into the edge's outbox, from where it goes to the cloud. Stopping
/// the actor kills the process; nothing half-written is left (the outbox entry is renamed into place once complete).
/// </summary>
public sealed class TrainActor(TrainOrder order, WorkerSettings settings) : StepActor
{
    public static Props Props(TrainOrder order, WorkerSettings settings) =>
        Akka.Actor.Props.Create(() => new TrainActor(order, settings));

    protected override async Task<IStepReport> Run(Action<IStepReport> report, CancellationToken ct)
    {
        var analyze = new AnalyzeOrder(order.RepositoryDirectory, order.RepoUrl, order.CommitSha, order.TaskId, order.LeaseId,
            order.CloneSeconds, settings.Training, settings.OutboxRoot, settings.Analysis, order.Ref);
        var last = await settings.RunJobAsync(JobKind.Analyze, JobJson.Line(analyze),
            line => { if (line.Progress is { } p) report(new TrainProgressed(p.Stage, p.Fraction, p.Message)); }, ct)
            .ConfigureAwait(false);
        // The next task's processes start now, while the worker reports this one and asks for more: their warm-up
        // takes the cores between tasks, not from this task's clone or training.
        settings.PrepareJob(JobKind.Clone);
        settings.PrepareJob(JobKind.Analyze);
        return last switch
        {
            { Analyzed: { } done } => new TrainSucceeded(done.FilesProcessed, done.Edges, done.FinalLoss, done.Result),
            { Error: { } error } => new TrainFailed(error.Message, error.Reason),
            _ => new TrainFailed("the analysis process ended without a result", JobReason.AnalysisCrashed),
        };
    }

    protected override IStepReport Failed(Exception error) =>
        new TrainFailed(error is OperationCanceledException ? "the run was cancelled" : error.Message);
}
