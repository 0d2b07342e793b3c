using FsCheck;
using FsCheck.Xunit;

namespace Pharos.CodeGraph.Tests.Training;

public sealed class RandomWalkerTests
{
    private static readonly double[] PqValues = [0.25, 1, 4];

    [Property(MaxTest = 150)]
    public bool Every_step_follows_an_edge_and_every_node_starts_its_walks(
        int seed, PositiveInt nodes, (int, int)[] rawEdges, byte pIndex, byte qIndex, byte lengthRaw, bool twoThreads)
    {
        int n = 1 + nodes.Get % 40;
        var edges = (rawEdges ?? []).Select(e => (Math.Abs(e.Item1 % n), Math.Abs(e.Item2 % n))).ToList();
        var graph = new TrainingGraph(n, edges);
        var options = new Node2VecOptions
        {
            WalkLength = 1 + lengthRaw % 12,
            WalksPerNode = 3,
            P = PqValues[pIndex % 3],
            Q = PqValues[qIndex % 3],
            Threads = twoThreads ? 2 : 1,
            Seed = seed,
        };
        var corpus = RandomWalker.Generate(graph, options);
        if (corpus.WalkCount != n * 3) return false;
        var starts = new int[n];
        for (int w = 0; w < corpus.WalkCount; w++)
        {
            var walk = corpus.Walk(w);
            starts[walk[0]]++;
            int expected = graph.Degree(walk[0]) == 0 ? 1 : options.WalkLength;
            if (walk.Length != expected) return false;
            for (int i = 1; i < walk.Length; i++)
                if (!graph.HasEdge(walk[i - 1], walk[i])) return false;
        }
        return starts.All(s => s == 3) && corpus.TokenCount == corpus.Tokens.Length;
    }

    [Fact]
    public void A_large_q_keeps_walks_near_their_start()
    {
        var graph = new TrainingGraph(400, TestGraphs.Random(400, 8, seed: 3));
        double near = FractionWithinOneHop(graph, q: 50);
        double far = FractionWithinOneHop(graph, q: 0.02);
        Assert.True(near > far + 0.3, $"within one hop of the start: q=50 {near:F3}, q=0.02 {far:F3}");
    }

    private static double FractionWithinOneHop(TrainingGraph graph, double q)
    {
        var corpus = RandomWalker.Generate(graph, new Node2VecOptions { P = 1, Q = q, WalkLength = 10, WalksPerNode = 4, Threads = 2, Seed = 9 });
        long within = 0, steps = 0;
        for (int w = 0; w < corpus.WalkCount; w++)
        {
            var walk = corpus.Walk(w);
            for (int i = 2; i < walk.Length; i++)
            {
                steps++;
                if (walk[i] == walk[0] || graph.HasEdge(walk[0], walk[i])) within++;
            }
        }
        return (double)within / steps;
    }

    [Fact]
    public void Walks_are_reproducible_for_a_seed_and_thread_count()
    {
        var graph = new TrainingGraph(300, TestGraphs.Random(300, 5, seed: 4));
        var options = new Node2VecOptions { Q = 0.5, Threads = 2, Seed = 17 };
        var a = RandomWalker.Generate(graph, options);
        var b = RandomWalker.Generate(graph, options);
        var c = RandomWalker.Generate(graph, options with { Seed = 18 });
        Assert.True(a.Tokens.SequenceEqual(b.Tokens));
        Assert.True(a.Offsets.SequenceEqual(b.Offsets));
        Assert.False(a.Tokens.SequenceEqual(c.Tokens));
    }

    [Fact]
    public void Corpus_text_is_one_walk_per_line()
    {
        var corpus = WalkCorpus.FromWalks([[0, 1, 2], [3], [2, 1]], 4);
        var writer = new StringWriter();
        corpus.WriteText(writer);
        Assert.Equal("0 1 2\n3\n2 1\n", writer.ToString());
    }
}
