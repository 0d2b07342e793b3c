using System.Numerics.Tensors;

namespace Pharos.CodeGraph.Results;

/// <summary>One file and how close its vector is to the one asked about (cosine, -1..1).</summary>
public readonly record struct Similar(int Node, float Score);

/// <summary>
/// The files most like one file by the cosine of their vectors: an exact scan of every row with SIMD
/// (TensorPrimitives), which at a repository's size (up to about 100,000 files) needs no approximate index.
/// </summary>
public static class SimilarFiles
{
    public const int MaxK = 100;

    /// <summary>The <paramref name="k"/> rows nearest to row <paramref name="node"/>, highest score first, the row itself left out.</summary>
    public static IReadOnlyList<Similar> Top(float[] vectors, int dims, int node, int k)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        var rows = vectors.Length / dims;
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxK);

        var query = vectors.AsSpan(node * dims, dims);
        var queryNorm = TensorPrimitives.Norm(query);
        // A min-heap of the best k so far: its root is the one the next better row replaces.
        var best = new PriorityQueue<int, (float Score, int Order)>(k + 1);
        for (var row = 0; row < rows; row++)
        {
            if (row == node) continue;
            var vector = vectors.AsSpan(row * dims, dims);
            var norm = TensorPrimitives.Norm(vector);
            // A zero vector (a file training never reached) is like nothing: score 0, not NaN.
            var score = norm == 0 || queryNorm == 0 ? 0f : TensorPrimitives.Dot(query, vector) / (norm * queryNorm);
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
