namespace Pharos.CodeGraph.Training;

/// <summary>
/// Link-prediction scoring of embeddings: the skip-gram's own estimate (<see cref="LinkScore"/>), or the cosine
/// similarity of the two end points' input vectors (what most Node2Vec users compute).
/// </summary>
public static class LinkPrediction
{
    /// <summary>Cosine similarity of two nodes' vectors (0 if either is the zero vector).</summary>
    public static double Cosine(Embeddings embeddings, int a, int b)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        var x = embeddings.Vector(a);
        var y = embeddings.Vector(b);
        double dot = 0, xx = 0, yy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            dot += (double)x[i] * y[i];
            xx += (double)x[i] * x[i];
            yy += (double)y[i] * y[i];
        }
        return xx == 0 || yy == 0 ? 0 : dot / Math.Sqrt(xx * yy);
    }

    /// <summary>
    /// How likely an edge between a and b is, by the model skip-gram fitted: <c>in(a)·out(b) + in(b)·out(a)</c>, its
    /// estimate (shifted PMI) of how much more often each occurs near the other in the walks than chance, both ways.
    /// Unlike the cosine of input vectors, it keeps how often a node occurs at all, which on import graphs (a few
    /// files imported by almost all) is most of what predicts an edge. Needs <see cref="Embeddings.ContextVectors"/>.
    /// </summary>
    public static double LinkScore(Embeddings embeddings, int a, int b)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Dot(embeddings.Vector(a), embeddings.ContextVector(b)) + Dot(embeddings.Vector(b), embeddings.ContextVector(a));
    }

    private static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += (double)x[i] * y[i];
        return sum;
    }

    /// <summary>
    /// Area under the ROC curve of cosine scores: the probability that a random positive pair scores above a
    /// random negative one (ties count half). Computed by ranking, O((P + N) log (P + N)).
    /// </summary>
    public static double Auc(Embeddings embeddings, IReadOnlyList<(int A, int B)> positives, IReadOnlyList<(int A, int B)> negatives)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return Auc(positives, negatives, (a, b) => Cosine(embeddings, a, b));
    }

    /// <summary>The same for any pair score: <see cref="LinkScore"/>, a baseline's below, another trainer's.</summary>
    public static double Auc(IReadOnlyList<(int A, int B)> positives, IReadOnlyList<(int A, int B)> negatives,
        Func<int, int, double> score)
    {
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(negatives);
        ArgumentNullException.ThrowIfNull(score);
        return Auc(positives.Select(p => score(p.A, p.B)), negatives.Select(n => score(n.A, n.B)));
    }

    /// <summary>A baseline that needs no embedding: the product of the two end points' degrees.</summary>
    public static double DegreeProduct(TrainingGraph graph, int a, int b) => (double)graph.Degree(a) * graph.Degree(b);

    /// <summary>A baseline that needs no embedding: Σ 1 / log(degree) over the common neighbours of a and b.</summary>
    public static double AdamicAdar(TrainingGraph graph, int a, int b)
    {
        double sum = 0;
        foreach (var z in graph.Neighbours(a))
            if (graph.HasEdge(b, z) && graph.Degree(z) > 1) sum += 1 / Math.Log(graph.Degree(z));
        return sum;
    }

    /// <summary>The same for any scores (a baseline's, another trainer's): Mann–Whitney U, ties count half.</summary>
    public static double Auc(IEnumerable<double> positiveScores, IEnumerable<double> negativeScores)
    {
        var scored = positiveScores.Select(s => (Score: s, Positive: true))
            .Concat(negativeScores.Select(s => (Score: s, Positive: false))).ToList();
        double p = scored.Count(s => s.Positive), n = scored.Count - p;
        if (p == 0 || n == 0) throw new ArgumentException("AUC needs at least one positive and one negative pair.");
        scored.Sort((x, y) => x.Score.CompareTo(y.Score));

        // Sum of the positives' (average, 1-based) ranks.
        double rankSum = 0;
        for (int i = 0; i < scored.Count;)
        {
            int j = i;
            while (j + 1 < scored.Count && scored[j + 1].Score == scored[i].Score) j++;
            double averageRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                if (scored[k].Positive) rankSum += averageRank;
            i = j + 1;
        }
        return (rankSum - p * (p + 1) / 2) / (p * n);
    }
}
