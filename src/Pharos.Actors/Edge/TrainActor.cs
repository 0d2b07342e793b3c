using Akka.Actor;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Results;
using Pharos.Messages;

namespace Pharos.Actors.Edge;

/// <summary>What to embed: a checked-out repository at a known commit, for a task under a lease.</summary>
public sealed record TrainOrder(string RepositoryDirectory, string RepoUrl, string CommitSha, string TaskId, string LeaseId);

/// <summary>TrainActor → parent: a stage began (<paramref name="Fraction"/> 0) or moved on.</summary>
/// <param name="Stage">Parsing, training or storing.</param>
public sealed record TrainProgressed(JobStage Stage, double Fraction, string Message) : IStepReport;

public sealed record TrainSucceeded(
    int FilesProcessed,
    int Edges,
    int EmbeddingsGenerated,
    double FinalLoss,
    TimeSpan Parse,
    TimeSpan Train,
    TimeSpan Store,
    string EmbeddingsPath,
    OutboxEntry Result) : IStepReport;

public sealed record TrainFailed(string Error) : IStepReport;

/// <summary>
/// Parses, trains and stores the embeddings of one checked-out repository for its parent WorkerActor, on a
/// thread of its own. Stopping the actor cancels the run; nothing half-written is left (files are renamed into
/// place once complete).
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

        report(new TrainProgressed(JobStage.Storing, 0, "Storing embeddings..."));
        var storing = clock.GetTimestamp();
        var prefix = EmbeddingStore.Save(settings.EmbeddingsRoot, order.RepoUrl, order.CommitSha, embedding, settings.Training);
        // The result for the cloud, whole in the outbox before the upload starts: it outlives a restart of the edge.
        var bundle = ResultBundles.Of(order.RepoUrl, order.CommitSha, order.TaskId, clock.GetUtcNow(), embedding, settings.Training);
        var result = Outbox.Put(settings.OutboxRoot, order.TaskId, order.LeaseId, bundle.WriteTo);
        return new TrainSucceeded(embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count,
            embedding.Embeddings.NodeCount, embedding.Embeddings.FinalLoss, embedding.ParseElapsed,
            embedding.TrainElapsed, clock.GetElapsedTime(storing), prefix, result);
    }, ct);

    protected override IStepReport Failed(Exception error) =>
        new TrainFailed(error is OperationCanceledException ? "the run was cancelled" : error.Message);
}
