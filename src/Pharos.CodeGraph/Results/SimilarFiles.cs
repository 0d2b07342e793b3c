using System.Numerics.Tensors;

namespace Pharos.CodeGraph.Results;

/// <summary>One file and its score against the one asked about (by <see cref="SimilarFiles.MeasureOf"/>).</summary>
public readonly record struct Similar(int Node, float Score);

/// <summary>
/// The files most like one file, by an exact scan of every row with SIMD (TensorPrimitives), which at a repository's
/// size (up to about 100,000 files) needs no approximate index. With context vectors the score is the link score
/// <c>in(a)·out(b) + in(b)·out(a)</c> (<see cref="Training.LinkPrediction.LinkScore"/>: the files most likely to import
/// or be imported by it, which bench/quality measures well above cosine); without them (results stored before they
/// were kept) the cosine of the vectors, -1..1.
/// </summary>
public static class SimilarFiles
{
    public const int MaxK = 100;

    public const string Link = "link";
    public const string Cosine = "cosine";

    /// <summary>What <see cref="Top"/> ranks by for a bundle: <see cref="Link"/> or <see cref="Cosine"/>.</summary>
    public static string MeasureOf(float[]? context) => context is null ? Cosine : Link;

    /// <summary>
    /// The <paramref name="k"/> rows scoring highest against row <paramref name="node"/>, highest first, the row itself
    /// left out: by link score when <paramref name="context"/> is given, else by cosine.
    /// </summary>
    public static IReadOnlyList<Similar> Top(float[] vectors, float[]? context, int dims, int node, int k)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        var rows = vectors.Length / dims;
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxK);
        if (context is not null && context.Length != vectors.Length)
            throw new ArgumentException($"{context.Length} context floats for {vectors.Length} vector floats.", nameof(context));

        var query = vectors.AsSpan(node * dims, dims);
        var queryContext = context is null ? default : context.AsSpan(node * dims, dims);
        // Only the cosine needs norms.
        var queryNorm = context is null ? TensorPrimitives.Norm(query) : 0f;
        // A min-heap of the best k so far: its root is the one the next better row replaces.
        var best = new PriorityQueue<int, (float Score, int Order)>(k + 1);
        for (var row = 0; row < rows; row++)
        {
            if (row == node) continue;
            var vector = vectors.AsSpan(row * dims, dims);
            float score;
            if (context is not null)
                score = TensorPrimitives.Dot(query, context.AsSpan(row * dims, dims)) + TensorPrimitives.Dot(vector, queryContext);
            else
            {
                var norm = TensorPrimitives.Norm(vector);
                // A zero vector (a file training never reached) is like nothing: score 0, not NaN.
                score = norm == 0 || queryNorm == 0 ? 0f : TensorPrimitives.Dot(query, vector) / (norm * queryNorm);
            }
            // Ties keep the lower row (the earlier path), so the answer does not depend on the scan's order.
            var key = (score, -row);
            if (best.Count < k) best.Enqueue(row, key);
            else if (best.TryPeek(out _, out var worst) && key.CompareTo(worst) > 0) best.EnqueueDequeue(row, key);
        }
        var result = new Similar[best.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            best.TryDequeue(out var row, out var key);
            result[i] = new Similar(row, key.Score);
        }
        return result;
    }
}
