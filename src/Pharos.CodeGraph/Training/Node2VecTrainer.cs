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
        Action<EpochProgress>? progress = null, CancellationToken ct = default) =>
        Train(graph, options, walksMade: null, progress, ct);

    /// <summary>
    /// As <see cref="Train(TrainingGraph, Node2VecOptions, Action{EpochProgress}?, CancellationToken)"/>, and hands
    /// the walk corpus to <paramref name="walksMade"/> once it is made, before the skip-gram (to write it out, say).
    /// </summary>
    public static Embeddings Train(TrainingGraph graph, Node2VecOptions options, Action<WalkCorpus>? walksMade,
        Action<EpochProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options.Validate();
        long seed = options.ResolveSeed();
        var corpus = RandomWalker.Generate(graph, options, seed, ct);
        walksMade?.Invoke(corpus);
        return SkipGramTrainer.Train(corpus, graph.NodeCount, options, seed, progress, ct);
    }
}
