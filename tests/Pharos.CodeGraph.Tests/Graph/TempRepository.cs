namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>A repository written to a fresh temp directory for one test, deleted afterwards.</summary>
internal sealed class TempRepository : IDisposable
{
    public string Root { get; } = FileTree.CreateTempDirectory();

    public TempRepository(params (string Path, string Text)[] files) => FileTree.Write(Root, files);

    public TempRepository Add(params (string Path, string Text)[] files)
    {
        FileTree.Write(Root, files);
        return this;
    }

    public TempRepository AddBytes(string path, byte[] bytes)
    {
        FileTree.Write(Root, path, bytes);
        return this;
    }

    public string Full(string path) => Path.Combine(Root, path.Replace('/', Path.DirectorySeparatorChar));

    public ImportGraph Build() => ImportGraphBuilder.Build(Root);

    public ImportGraph Build(params ILanguageAnalyzer[] analyzers) => ImportGraphBuilder.Build(Root, analyzers);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

internal static class GraphAssert
{
    /// <summary>The edges as "from -> to" strings, ordinal-sorted.</summary>
    public static IReadOnlyList<string> Edges(ImportGraph graph) =>
        graph.Edges.Select(e => $"{graph.Nodes[e.From]} -> {graph.Nodes[e.To]}").Order(StringComparer.Ordinal).ToList();

    public static void EdgesAre(ImportGraph graph, params string[] expected) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal).ToList(), Edges(graph));

    public static void NodesAre(ImportGraph graph, params string[] expected) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal).ToList(), graph.Nodes);

    public static void UnresolvedIs(ImportGraph graph, string node, int expected) => Assert.Equal(expected, graph.UnresolvedByNode[node]);

    /// <summary>Structural invariants every graph keeps.</summary>
    public static void WellFormed(ImportGraph graph)
    {
        Assert.Equal(graph.Nodes.Order(StringComparer.Ordinal), graph.Nodes);
        Assert.Equal(graph.Nodes.Count, graph.Nodes.Distinct().Count());
        Assert.All(graph.Edges, e =>
        {
            Assert.InRange(e.From, 0, graph.Nodes.Count - 1);
            Assert.InRange(e.To, 0, graph.Nodes.Count - 1);
            Assert.NotEqual(e.From, e.To);
        });
        Assert.Equal(graph.Edges.Count, graph.Edges.Distinct().Count());
        Assert.Equal(graph.Nodes.Order(StringComparer.Ordinal), graph.LanguageByNode.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(graph.Nodes.Order(StringComparer.Ordinal), graph.UnresolvedByNode.Keys.Order(StringComparer.Ordinal));
    }
}
