namespace Pharos.CodeGraph.Tests.Training;

public sealed class TrainingGraphTests
{
    [Fact]
    public void Edges_are_undirected_deduplicated_sorted_and_without_self_loops()
    {
        var graph = new TrainingGraph(5, [(3, 1), (1, 3), (1, 0), (2, 2), (1, 4), (4, 1), (0, 1)]);
        Assert.Equal(5, graph.NodeCount);
        Assert.Equal(3, graph.EdgeCount);
        Assert.Equal([0, 3, 4], graph.Neighbours(1).ToArray());
        Assert.Equal([1], graph.Neighbours(0).ToArray());
        Assert.Empty(graph.Neighbours(2).ToArray());
        Assert.True(graph.HasEdge(3, 1));
        Assert.True(graph.HasEdge(1, 3));
        Assert.False(graph.HasEdge(0, 3));
        Assert.False(graph.HasEdge(2, 2));
        Assert.Equal([(0, 1), (1, 3), (1, 4)], graph.Edges().ToArray());
    }

    [Fact]
    public void An_edge_outside_the_nodes_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingGraph(2, [(0, 2)]));

    [Fact]
    public void Edge_list_names_nodes_in_first_seen_order_and_skips_blanks_and_comments()
    {
        var text = "# imports\n\nsrc/a.py\tsrc/b.py\r\nsrc/b.py\tsrc/c.py\n  \n# more\nsrc/c.py\tsrc/a.py\nsrc/a.py\tsrc/b.py\nsrc/d.py\tsrc/d.py\n";
        var (graph, names) = TrainingGraph.ReadEdgeList(new StringReader(text));
        Assert.Equal(["src/a.py", "src/b.py", "src/c.py", "src/d.py"], names);
        Assert.Equal(4, graph.NodeCount);
        Assert.Equal(3, graph.EdgeCount);
        Assert.True(graph.HasEdge(2, 0));
        Assert.Equal(0, graph.Degree(3));
    }

    [Theory]
    [InlineData("a\tb\n# c\nno-tab-here\n", 3)]
    [InlineData("a\tb\nx\ty\tz\n", 2)]
    [InlineData("\ta\n", 1)]
    public void A_malformed_edge_list_line_is_named_by_number(string text, int line)
    {
        var error = Assert.Throws<FormatException>(() => TrainingGraph.ReadEdgeList(new StringReader(text)));
        Assert.Contains($"line {line}", error.Message);
    }
}
