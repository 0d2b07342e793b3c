using Akka.Actor;
using Pharos.CodeGraph.Embedding;
using Pharos.Messages;

namespace Pharos.Actors.Edge;

/// <summary>What to embed: a checked-out repository at a known commit.</summary>
public sealed record TrainOrder(string RepositoryDirectory, string RepoUrl, string CommitSha);

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
    string EmbeddingsPath) : IStepReport;

public sealed record TrainFailed(string Error) : IStepReport;

/// <summary>
/// Parses, trains and stores the embeddings of one checked-out repository for its parent WorkerActor, on a
/// thread of its own. Stopping the actor cancels the run; nothing half-written is left (files are renamed into
/// place once complete).
/// </summary>
public sealed class TrainActor : ReceiveActor
{
    private readonly TrainOrder _order;
    private readonly WorkerSettings _settings;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _cancel = new();

    public TrainActor(TrainOrder order, WorkerSettings settings, TimeProvider clock)
    {
        _order = order;
        _settings = settings;
        _clock = clock;
    }

    public static Props Props(TrainOrder order, WorkerSettings settings, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new TrainActor(order, settings, clock));

    protected override void PreStart()
    {
        var parent = Context.Parent;
        var self = Self;
        var ct = _cancel.Token;
        Task.Factory.StartNew(() =>
        {
            var embedding = RepositoryEmbedder.Embed(_order.RepositoryDirectory, _settings.Training,
                progress => parent.Tell(new TrainProgressed(progress.Stage, progress.Fraction, progress.Message), self), ct);
            ct.ThrowIfCancellationRequested();

            parent.Tell(new TrainProgressed(JobStage.Storing, 0, "Storing embeddings..."), self);
            var storing = _clock.GetTimestamp();
            var prefix = EmbeddingStore.Save(_settings.EmbeddingsRoot, _order.RepoUrl, _order.CommitSha, embedding, _settings.Training);
            return (object)new TrainSucceeded(embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count,
                embedding.Embeddings.NodeCount, embedding.Embeddings.FinalLoss, embedding.ParseElapsed,
                embedding.TrainElapsed, _clock.GetElapsedTime(storing), prefix);
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .PipeTo(parent, self, failure: e => new TrainFailed(e is OperationCanceledException ? "the run was cancelled" : e.Message));
    }

    protected override void PostStop()
    {
        // Not disposed: the worker thread may still be reading the token when it sees the cancellation.
        _cancel.Cancel();
    }
}
