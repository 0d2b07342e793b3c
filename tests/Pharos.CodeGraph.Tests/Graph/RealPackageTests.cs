using System.Diagnostics;
using Xunit.Abstractions;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>The builder on a real Python package copied from the system's dist-packages.</summary>
public sealed class RealPackageTests(ITestOutputHelper output)
{
    private const string DistPackages = "/usr/lib/python3/dist-packages";

    /// <summary>Candidates with an import edge each is known to have (importer, imported).</summary>
    private static readonly (string Package, string From, string To)[] Candidates =
    [
        ("networkx", "networkx/__init__.py", "networkx/utils/__init__.py"),
        ("pygments", "pygments/lexers/python.py", "pygments/lexer.py"),
        ("yaml", "yaml/__init__.py", "yaml/error.py"),
        ("cryptography", "cryptography/fernet.py", "cryptography/exceptions.py"),
        ("jwt", "jwt/__init__.py", "jwt/api_jwt.py"),
    ];

    [Fact]
    public void Largest_available_package_gives_a_sane_graph()
    {
        var available = Candidates
            .Where(c => Directory.Exists(Path.Combine(DistPackages, c.Package)))
            .Select(c => (Candidate: c, Files: CountPythonFiles(Path.Combine(DistPackages, c.Package))))
            .OrderByDescending(c => c.Files)
            .ToList();
        Assert.True(available.Count > 0,
            $"None of {string.Join(", ", Candidates.Select(c => c.Package))} is installed under {DistPackages}: ./test.sh installs python3-networkx.");
        var (package, knownFrom, knownTo) = available[0].Candidate;

        var root = FileTree.CreateTempDirectory();
        try
        {
            var copied = Copy(Path.Combine(DistPackages, package), Path.Combine(root, package));

            var clock = Stopwatch.StartNew();
            var graph = ImportGraphBuilder.Build(root);
            clock.Stop();
            output.WriteLine(
                $"{package}: {graph.Nodes.Count} files, {graph.Edges.Count} edges, {graph.UnresolvedTotal} unresolved, " +
                $"{clock.Elapsed.TotalMilliseconds:F0} ms ({graph.Nodes.Count / clock.Elapsed.TotalSeconds:F0} files/s, first run)");
            clock.Restart();
            var again = ImportGraphBuilder.Build(root);
            clock.Stop();
            output.WriteLine($"second run: {clock.Elapsed.TotalMilliseconds:F0} ms ({again.Nodes.Count / clock.Elapsed.TotalSeconds:F0} files/s)");

            GraphAssert.WellFormed(graph);
            Assert.Equal(copied, graph.Nodes.Count);
            Assert.All(graph.Nodes, n => Assert.StartsWith(package + "/", n));
            Assert.True(graph.Edges.Count > graph.Nodes.Count / 2, $"{graph.Edges.Count} edges for {graph.Nodes.Count} nodes");
            Assert.True(graph.UnresolvedTotal > 0, "a real package imports the standard library");
            Assert.Equal(0, graph.SkippedFiles);
            Assert.Equal(graph.Edges, again.Edges);
            if (graph.Nodes.Contains(knownFrom) && graph.Nodes.Contains(knownTo))
            {
                Assert.Contains($"{knownFrom} -> {knownTo}", GraphAssert.Edges(graph));
            }
            // Nearly every module of a package imports something of it or is imported by something.
            var touched = graph.Edges.SelectMany(e => new[] { e.From, e.To }).Distinct().Count();
            Assert.True(touched > graph.Nodes.Count * 0.8, $"{touched} of {graph.Nodes.Count} nodes have an edge");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int CountPythonFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*.py*", SearchOption.AllDirectories).Count(IsPythonSource);

    private static bool IsPythonSource(string path) =>
        (path.EndsWith(".py", StringComparison.Ordinal) || path.EndsWith(".pyi", StringComparison.Ordinal))
        && !path.Contains($"{Path.DirectorySeparatorChar}__pycache__{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    /// <summary>Copies the Python sources of a package tree (or the files <paramref name="include"/> takes); returns how many.</summary>
    internal static int Copy(string from, string to, Func<string, bool>? include = null)
    {
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (!(include ?? IsPythonSource)(file)) continue;
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            count++;
        }
        return count;
    }

    /// <summary>npm's own sources, which come with Node.js on this machine kind: real CommonJS from the npm registry.</summary>
    [Fact]
    public void Npm_sources_give_a_sane_javascript_graph()
    {
        const string npm = "/usr/lib/node_modules/npm";
        Assert.True(Directory.Exists(npm), $"{npm} is missing: Node.js and npm come with this machine kind.");
        var root = FileTree.CreateTempDirectory();
        try
        {
            // Its bundled dependencies stay behind: the scanner skips node_modules anyway.
            Copy(npm, Path.Combine(root, "npm"), file => !file.Contains("/node_modules/npm/node_modules/", StringComparison.Ordinal));
            var graph = ImportGraphBuilder.Build(Path.Combine(root, "npm"));
            output.WriteLine($"npm: {graph.Nodes.Count} files, {graph.Edges.Count} edges, {graph.UnresolvedTotal} unresolved");

            GraphAssert.WellFormed(graph);
            Assert.True(graph.Nodes.Count >= 50, $"{graph.Nodes.Count} files");
            Assert.DoesNotContain(graph.Nodes, n => n.StartsWith("node_modules/", StringComparison.Ordinal));
            Assert.All(graph.LanguageByNode.Values, language => Assert.Equal(LanguageNames.JavaScript, language));
            Assert.True(graph.Edges.Count >= graph.Nodes.Count, $"{graph.Edges.Count} edges for {graph.Nodes.Count} nodes");
            Assert.True(graph.UnresolvedTotal > 0, "npm requires Node's own modules and its dependencies");
            Assert.Contains("lib/npm.js -> lib/utils/display.js", GraphAssert.Edges(graph));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
