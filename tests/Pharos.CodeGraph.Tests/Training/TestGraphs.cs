namespace Pharos.CodeGraph.Tests.Training;

/// <summary>Small graphs made from a seed.</summary>
internal static class TestGraphs
{
    /// <summary>Stochastic block model: node i is in block i / blockSize.</summary>
    public static List<(int From, int To)> StochasticBlockModel(int blocks, int blockSize, double pIn, double pOut, int seed)
    {
        var random = new Random(seed);
        var edges = new List<(int, int)>();
        int n = blocks * blockSize;
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                if (random.NextDouble() < (a / blockSize == b / blockSize ? pIn : pOut))
                    edges.Add((a, b));
        return edges;
    }

    /// <summary>Erdős–Rényi-style graph with about <paramref name="averageDegree"/> neighbours a node.</summary>
    public static List<(int From, int To)> Random(int nodes, double averageDegree, int seed)
    {
        var random = new Random(seed);
        var edges = new List<(int, int)>();
        long count = (long)(nodes * averageDegree / 2);
        for (long i = 0; i < count; i++)
            edges.Add((random.Next(nodes), random.Next(nodes)));
        return edges;
    }

    public static Node2VecOptions Quick(int threads = 2, int seed = 1) => new() { Threads = threads, Seed = seed };
}
