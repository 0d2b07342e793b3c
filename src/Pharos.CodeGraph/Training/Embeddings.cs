namespace Pharos.CodeGraph.Training;

/// <summary>
/// One vector per node: <see cref="Vectors"/> is NodeCount × Dimensions floats, row-major (row = node index).
/// </summary>
public sealed class Embeddings
{
    public Embeddings(int nodeCount, int dimensions, float[] vectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Length != (long)nodeCount * dimensions)
            throw new ArgumentException($"Expected {nodeCount} × {dimensions} floats, got {vectors.Length}.", nameof(vectors));
        NodeCount = nodeCount;
        Dimensions = dimensions;
        Vectors = vectors;
    }

    public int NodeCount { get; }
    public int Dimensions { get; }
    public float[] Vectors { get; }

    public ReadOnlySpan<float> Vector(int node) => Vectors.AsSpan(node * Dimensions, Dimensions);

    /// <summary>
    /// The skip-gram's output ("context") vectors, laid out as <see cref="Vectors"/>; null when only the input vectors
    /// are known (embeddings read back from a stored result). Skip-gram with negative sampling fits
    /// <c>in(a)·out(b)</c> to how much more often b occurs near a than chance (shifted PMI), which is what
    /// <see cref="LinkPrediction.LinkScore"/> reads.
    /// </summary>
    public float[]? ContextVectors
    {
        get => _context;
        init
        {
            if (value is not null && value.Length != Vectors.Length)
                throw new ArgumentException($"Expected {Vectors.Length} context floats, got {value.Length}.", nameof(value));
            _context = value;
        }
    }

    private readonly float[]? _context;

    public ReadOnlySpan<float> ContextVector(int node) =>
        (_context ?? throw new InvalidOperationException("These embeddings carry no context vectors.")).AsSpan(node * Dimensions, Dimensions);

    /// <summary>Mean skip-gram loss of the last epoch (0 when there were no pairs to train).</summary>
    public double FinalLoss { get; init; }
    /// <summary>Mean loss of every completed epoch.</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = [];
    public TimeSpan WalkElapsed { get; init; }
    public TimeSpan TrainElapsed { get; init; }
    public int WalkCount { get; init; }
    /// <summary>Nodes in one epoch's walks.</summary>
    public long CorpusTokens { get; init; }
    /// <summary>(centre, context) pairs trained over all epochs.</summary>
    public long TrainedPairs { get; init; }
}
