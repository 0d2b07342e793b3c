using System.Text;

namespace Pharos.CodeGraph.Tests.Graph;

public sealed class RepositoryScannerTests
{
    [Fact]
    public void A_missing_or_empty_root_is_refused_with_a_clear_message()
    {
        var missing = Path.Combine(Path.GetTempPath(), "pharos-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var notFound = Assert.Throws<DirectoryNotFoundException>(() => RepositoryScanner.Scan(missing));
        Assert.Contains(missing, notFound.Message);
        Assert.Throws<ArgumentException>(() => RepositoryScanner.Scan(" "));

        using var repo = new TempRepository(("file.py", ""));
        Assert.Throws<DirectoryNotFoundException>(() => ImportGraphBuilder.Build(repo.Full("file.py")));
    }

    [Fact]
    public void Dependency_build_and_tool_directories_are_skipped_everywhere()
    {
        string[] skipped =
        [
            ".git", "node_modules", "__pycache__", "venv", ".venv", "dist", "build", "vendor", "third_party",
            "third-party", "bower_components", ".tox", ".mypy_cache", "site-packages",
        ];
        using var repo = new TempRepository(("keep.py", ""), ("pkg/keep.py", ""), ("env/keep.py", ""));
        foreach (var name in skipped)
        {
            repo.Add(($"{name}/x.py", "import keep\n"), ($"pkg/{name}/y.js", "require('../keep')"));
        }
        // Virtual environments are recognised by their pyvenv.cfg, whatever their name.
        repo.Add(("env2/pyvenv.cfg", "home = /usr/bin\n"), ("env2/lib/z.py", ""), ("pkg/env/pyvenv.cfg", ""), ("pkg/env/z.py", ""));

        var scan = RepositoryScanner.Scan(repo.Root);
        Assert.Equal(["env/keep.py", "keep.py", "pkg/keep.py"], scan.Sources.Select(s => s.Path));
        Assert.Equal(["env/keep.py", "keep.py", "pkg/keep.py"], scan.Index.Paths.Order(StringComparer.Ordinal));
        Assert.Equal(0, scan.SkippedFiles);
        Assert.Empty(scan.Warnings);
    }

    [Fact]
    public void Oversized_binary_and_undecodable_sources_are_skipped_with_a_warning_each()
    {
        using var repo = new TempRepository(("ok.py", "import big\nimport binary\nimport latin\n"));
        repo.Add(("big.py", "x = 1\n" + new string('#', (int)AnalysisLimits.Default.MaxFileBytes)));
        repo.Add(("edge.py", new string('#', (int)AnalysisLimits.Default.MaxFileBytes))); // exactly the limit is read
        repo.AddBytes("binary.py", [.. "x = 1\n"u8, 0, .. "more"u8]);
        repo.AddBytes("latin.py", [.. "s = '"u8, 0xE9, .. "'\n"u8]); // é in Latin-1
        repo.AddBytes("overlong.js", [0xC0, 0xAF]); // an overlong '/' is not valid UTF-8
        repo.AddBytes("late-nul.js", [.. Encoding.UTF8.GetBytes(new string(' ', RepositoryScanner.BinaryProbeBytes)), 0]);

        var graph = repo.Build();
        GraphAssert.WellFormed(graph);
        GraphAssert.NodesAre(graph, "edge.py", "late-nul.js", "ok.py");
        Assert.Equal(4, graph.SkippedFiles);
        Assert.Equal(4, graph.Warnings.Count);
        Assert.Contains(graph.Warnings, w => w.StartsWith("big.py:", StringComparison.Ordinal) && w.Contains("limit"));
        Assert.Contains(graph.Warnings, w => w.StartsWith("binary.py:", StringComparison.Ordinal) && w.Contains("binary"));
        Assert.Contains(graph.Warnings, w => w.StartsWith("latin.py:", StringComparison.Ordinal) && w.Contains("UTF-8"));
        Assert.Contains(graph.Warnings, w => w.StartsWith("overlong.js:", StringComparison.Ordinal) && w.Contains("UTF-8"));
        // Skipped files stay in the index (they exist) but are not nodes: the imports name the repository, no edges.
        GraphAssert.EdgesAre(graph);
        GraphAssert.UnresolvedIs(graph, "ok.py", 0);
    }

    [Fact]
    public void A_byte_order_mark_is_stripped()
    {
        using var repo = new TempRepository(("b.py", ""));
        repo.AddBytes("a.py", [0xEF, 0xBB, 0xBF, .. "import b\n"u8]);
        var scan = RepositoryScanner.Scan(repo.Root);
        Assert.Equal("import b\n", scan.Sources.Single(s => s.Path == "a.py").Text);
        GraphAssert.EdgesAre(repo.Build(), "a.py -> b.py");
    }

    [Fact]
    public void Symbolic_links_are_not_followed()
    {
        using var outside = new TempRepository(("secret.py", ""), ("deep/more.py", ""));
        using var repo = new TempRepository(("real/mod.py", ""), ("main.py", "import real.mod\n"));
        Directory.CreateSymbolicLink(repo.Full("escape"), outside.Root);
        Directory.CreateSymbolicLink(repo.Full("real/loop"), repo.Root);
        File.CreateSymbolicLink(repo.Full("linked.py"), Path.Combine(outside.Root, "secret.py"));

        var graph = repo.Build();
        GraphAssert.NodesAre(graph, "main.py", "real/mod.py");
        GraphAssert.EdgesAre(graph, "main.py -> real/mod.py");
        Assert.Empty(graph.Warnings);
    }

    [Fact]
    public void Every_file_is_indexed_and_manifests_are_read()
    {
        using var repo = new TempRepository(
            ("README.md", "# readme"),
            ("go.mod", "module example.com/x\n"),
            ("web/package.json", "{\"name\": \"web\"}"),
            ("web/tsconfig.json", "{}"),
            ("web/jsconfig.json", "{}"),
            ("web/other.json", "{}"),
            ("web/app.ts", ""),
            ("Lib/Thing.CS", "")); // extensions match regardless of case
        var scan = RepositoryScanner.Scan(repo.Root);
        Assert.Equal(
            ["Lib/Thing.CS", "README.md", "go.mod", "web/app.ts", "web/jsconfig.json", "web/other.json", "web/package.json", "web/tsconfig.json"],
            scan.Index.Paths.Order(StringComparer.Ordinal));
        Assert.Equal(["Lib/Thing.CS", "web/app.ts"], scan.Sources.Select(s => s.Path));
        Assert.Equal(LanguageNames.CSharp, scan.Sources[0].Language);
        Assert.Equal("module example.com/x\n", scan.Index.TextOf("go.mod"));
        Assert.Equal("{\"name\": \"web\"}", scan.Index.TextOf("web/package.json"));
        Assert.Equal("{}", scan.Index.TextOf("web/tsconfig.json"));
        Assert.Equal("{}", scan.Index.TextOf("web/jsconfig.json"));
        Assert.Null(scan.Index.TextOf("web/other.json"));
        Assert.Null(scan.Index.TextOf("README.md"));
        Assert.True(scan.Index.DirectoryExists("web"));
        Assert.True(scan.Index.DirectoryExists(""));
        Assert.False(scan.Index.DirectoryExists("we"));
    }

    [Fact]
    public void Repository_index_knows_directories_of_files()
    {
        var index = new RepositoryIndex(["a/b/c.py", "a/d.py", "e.py"]);
        Assert.True(index.DirectoryExists("a"));
        Assert.True(index.DirectoryExists("a/b"));
        Assert.False(index.DirectoryExists("a/b/c.py"));
        Assert.False(index.DirectoryExists("b"));
        Assert.False(index.DirectoryExists("e.py"));
    }
}
