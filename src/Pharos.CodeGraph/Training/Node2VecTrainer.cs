namespace Pharos.CodeGraph.Training;

/// <summary>Node2Vec: one epoch's biased random walks, made once, then skip-gram over that fixed corpus for every epoch.</summary>
public static class Node2VecTrainer
{
    /// <summary>
    /// Trains one vector per node. An empty graph gives empty embeddings; nodes without edges keep their random
    /// initial vectors (their walks are single nodes, so they take part in no pair).
    /// </summary>
    /// <exception cref="ArgumentException">An option out of range (see <see cref="Node2VecOptionsValidation"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public static Embeddings Train(TrainingGraph graph, Node2VecOptions options,
        Action<EpochProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options.Validate();
        long seed = options.ResolveSeed();
        var corpus = RandomWalker.Generate(graph, options, seed, ct);
        return SkipGramTrainer.Train(corpus, graph.NodeCount, options, seed, progress, ct);
    }
}
