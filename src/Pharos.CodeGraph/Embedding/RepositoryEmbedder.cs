using System.Diagnostics;
using Pharos.Api.Contracts;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.CodeGraph.Embedding;

/// <summary>Where a repository's embedding run is: <see cref="Fraction"/> is 0..1 within <see cref="Stage"/>.</summary>
/// <param name="Stage"><see cref="JobStage.Parsing"/> or <see cref="JobStage.Training"/>.</param>
/// <param name="Epoch">The epoch just finished, while training.</param>
public sealed record EmbeddingProgress(JobStage Stage, double Fraction, string Message, EpochProgress? Epoch = null);

/// <summary>A repository's import graph and the Node2Vec vectors of its files (rows in <see cref="ImportGraph.Nodes"/> order).</summary>
public sealed record RepositoryEmbedding(ImportGraph Graph, Embeddings Embeddings, TimeSpan ParseElapsed)
{
    /// <summary>Walk generation and skip-gram training together.</summary>
    public TimeSpan TrainElapsed => Embeddings.WalkElapsed + Embeddings.TrainElapsed;
}

/// <summary>Parse → import graph → Node2Vec, the one way both the edge worker and `pharos train` embed a repository.</summary>
public static class RepositoryEmbedder
{
    /// <summary>Within <see cref="AnalysisLimits.Default"/>.</summary>
    public static RepositoryEmbedding Embed(string root, Node2VecOptions options, Action<EmbeddingProgress>? progress = null,
        CancellationToken ct = default) => Embed(root, options, AnalysisLimits.Default, progress, ct);

    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="RepositoryTooLargeException">Parsing went past <paramref name="limits"/> (source bytes, edges).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static RepositoryEmbedding Embed(string root, Node2VecOptions options, AnalysisLimits limits,
        Action<EmbeddingProgress>? progress = null, CancellationToken ct = default) =>
        Embed(root, options, limits, walksMade: null, progress, ct);

    /// <summary>The same, handing the walk corpus to <paramref name="walksMade"/> before the skip-gram.</summary>
    public static RepositoryEmbedding Embed(string root, Node2VecOptions options, AnalysisLimits limits,
        Action<WalkCorpus>? walksMade, Action<EmbeddingProgress>? progress, CancellationToken ct)
    {
        options.Validate();
        limits.Validate();
        progress?.Invoke(new EmbeddingProgress(JobStage.Parsing, 0, "Parsing..."));
        var clock = Stopwatch.StartNew();
        var graph = ImportGraphBuilder.Build(root, limits, ct);
        var parsed = clock.Elapsed;

        progress?.Invoke(new EmbeddingProgress(JobStage.Training, 0,
            $"Training... 0% ({graph.Nodes.Count} files, {graph.Edges.Count} edges)"));
        var embeddings = Node2VecTrainer.Train(new TrainingGraph(graph.Nodes.Count, graph.Edges), options, walksMade,
            epoch =>
            {
                var fraction = (double)epoch.Epoch / epoch.TotalEpochs;
                progress?.Invoke(new EmbeddingProgress(JobStage.Training, fraction,
                    $"Training... {100 * epoch.Epoch / epoch.TotalEpochs}%", epoch));
            },
            ct);
        return new RepositoryEmbedding(graph, embeddings, parsed);
    }
}
