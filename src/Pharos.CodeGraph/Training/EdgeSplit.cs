namespace Pharos.CodeGraph.Training;

/// <summary>
/// A link-prediction split: a share of the undirected edges held out as positives, as many non-edges as negatives
/// (drawn among nodes that have an edge), and the remaining edges to train on. Pairs are (smaller, larger) indices.
/// The same seed gives the same split, so that two trainers can be scored on the same pairs.
/// </summary>
public sealed record EdgeSplit(
    int All,
    IReadOnlyList<(int From, int To)> Train,
    IReadOnlyList<(int A, int B)> Positives,
    IReadOnlyList<(int A, int B)> Negatives,
    int ConnectedNodes)
{
    public static EdgeSplit Make(int nodeCount, IEnumerable<(int From, int To)> graphEdges, double holdout, int seed)
    {
        var edges = graphEdges
            .Where(e => e.From != e.To)
            .Select(e => (A: Math.Min(e.From, e.To), B: Math.Max(e.From, e.To)))
            .Distinct()
            .Order()
            .ToList();
        var rng = new Random(seed);
        for (int i = edges.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (edges[i], edges[j]) = (edges[j], edges[i]);
        }
        int test = (int)Math.Round(edges.Count * holdout, MidpointRounding.AwayFromZero);
        var positives = edges.Take(test).ToList();
        var train = edges.Skip(test).Select(e => (e.A, e.B)).ToList();

        var isEdge = new HashSet<long>(edges.Select(e => Key(e.A, e.B)));
        var touched = new HashSet<int>(edges.SelectMany(e => new[] { e.A, e.B }));
        var connected = Enumerable.Range(0, nodeCount).Where(touched.Contains).ToArray();
        long possible = (long)connected.Length * (connected.Length - 1) / 2 - edges.Count;
        if (possible < test)
            throw new InvalidOperationException($"Only {possible} non-edges for {test} negatives.");
        var chosen = new HashSet<long>();
        var negatives = new List<(int A, int B)>(test);
        while (negatives.Count < test)
        {
            int a = connected[rng.Next(connected.Length)], b = connected[rng.Next(connected.Length)];
            if (a == b) continue;
            if (a > b) (a, b) = (b, a);
            long key = Key(a, b);
            if (isEdge.Contains(key) || !chosen.Add(key)) continue;
            negatives.Add((a, b));
        }
        return new EdgeSplit(edges.Count, train, positives, negatives, connected.Length);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;
}
