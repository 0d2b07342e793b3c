using Akka.Actor;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Results;
using Pharos.Messages;

namespace Pharos.Actors.Edge;

/// <summary>What to embed: a checked-out repository at a known commit, for a task under a lease; the clone took <paramref name="CloneSeconds"/>.</summary>
public sealed record TrainOrder(string RepositoryDirectory, string RepoUrl, string CommitSha, string TaskId, string LeaseId,
    double CloneSeconds = 0);

/// <summary>TrainActor → parent: a stage began (<paramref name="Fraction"/> 0) or moved on.</summary>
/// <param name="Stage">Parsing, training or storing.</param>
public sealed record TrainProgressed(JobStage Stage, double Fraction, string Message) : IStepReport;

/// <summary>TrainActor → parent: the result is whole in the outbox, ready to go to the cloud.</summary>
public sealed record TrainSucceeded(int FilesProcessed, int Edges, double FinalLoss, OutboxEntry Result) : IStepReport;

public sealed record TrainFailed(string Error) : IStepReport;

/// <summary>
/// Parses and trains one checked-out repository for its parent WorkerActor, on a thread of its own, and writes the
/// result (graph, training and vectors, one bundle) into the edge's outbox, from where it goes to the cloud. Stopping
/// the actor cancels the run; nothing half-written is left (the outbox entry is renamed into place once complete).
/// </summary>
public sealed class TrainActor(TrainOrder order, WorkerSettings settings, TimeProvider clock) : StepActor
{
    public static Props Props(TrainOrder order, WorkerSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new TrainActor(order, settings, clock));

    protected override Task<IStepReport> Run(Action<IStepReport> report, CancellationToken ct) => OnOwnThread(() =>
    {
        var embedding = RepositoryEmbedder.Embed(order.RepositoryDirectory, settings.Training,
            progress => report(new TrainProgressed(progress.Stage, progress.Fraction, progress.Message)), ct);
        ct.ThrowIfCancellationRequested();

        report(new TrainProgressed(JobStage.Storing, 0, "Storing the result..."));
        // Whole in the outbox before the upload starts: it outlives a restart of the edge.
        var bundle = ResultBundles.Of(order.RepoUrl, order.CommitSha, order.TaskId, clock.GetUtcNow(), embedding,
            settings.Training, order.CloneSeconds);
        var result = Outbox.Put(settings.OutboxRoot, order.TaskId, order.LeaseId, bundle.WriteTo);
        return new TrainSucceeded(embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count, embedding.Embeddings.FinalLoss, result);
    }, ct);

    protected override IStepReport Failed(Exception error) =>
        new TrainFailed(error is OperationCanceledException ? "the run was cancelled" : error.Message);
}
