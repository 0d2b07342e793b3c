namespace Pharos.CodeGraph.Training;

/// <summary>Node2Vec parameters; the defaults are the original Python worker's, apart from <see cref="NegativeExponent"/>.</summary>
public sealed record Node2VecOptions
{
    public int Dimensions { get; init; } = 64;
    public int WalkLength { get; init; } = 20;
    /// <summary>Skip-gram window: nodes up to this many steps apart in a walk are a positive pair.</summary>
    public int Context { get; init; } = 10;
    public int WalksPerNode { get; init; } = 10;
    /// <summary>Return parameter: higher makes a walk less likely to step straight back.</summary>
    public double P { get; init; } = 1.0;
    /// <summary>In-out parameter: higher keeps walks local (BFS-like), lower sends them outward (DFS-like).</summary>
    public double Q { get; init; } = 1.0;
    public int Epochs { get; init; } = 10;
    /// <summary>Negative samples per positive pair.</summary>
    public int Negative { get; init; } = 5;
    /// <summary>
    /// Negatives are drawn with probability ∝ (occurrences in the walks)^this. 0 (the default) draws every node alike,
    /// which keeps how often a node occurs in the link score that `similar` ranks by: on bench/quality's repositories
    /// it raises that score's AUC by 0.02–0.13 over word2vec's 0.75 (<see cref="Word2VecNegativeExponent"/>).
    /// </summary>
    public double NegativeExponent { get; init; }

    /// <summary>word2vec's and gensim's exponent: what results and files that do not say theirs were trained with.</summary>
    public const double Word2VecNegativeExponent = 0.75;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>With one thread, the same seed gives the same vectors bit for bit.</summary>
    public int? Seed { get; init; }
    public float LearningRate { get; init; } = 0.025f;
    public float MinLearningRate { get; init; } = 0.0001f;
}

/// <summary>Reported after every epoch.</summary>
public sealed record EpochProgress(int Epoch, int TotalEpochs, double Loss, TimeSpan Elapsed);
