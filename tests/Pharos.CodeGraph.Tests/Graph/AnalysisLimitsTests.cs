using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.CodeGraph.Results;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>
/// <see cref="AnalysisLimits"/>: a namespace or package shared by very many files costs edges in proportion to the
/// files, not to their square; the bytes read and the edges made stop the analysis with the figure and the limit.
/// </summary>
public sealed class AnalysisLimitsTests
{
    /// <summary>One language's way of writing "file <c>i</c> of namespace <c>ns</c> imports namespaces <c>uses</c>".</summary>
    public sealed record Layout(string Language, Func<string, int, IReadOnlyList<string>, (string Path, string Text)> File,
        (string Path, string Text)[] Extra)
    {
        public override string ToString() => Language;
    }

    public static readonly Layout CSharp = new("csharp",
        (ns, i, uses) => ($"src/{ns}/F{i}.cs", string.Concat(uses.Select(u => $"using App.{u};\n")) + $"namespace App.{ns};\nclass F{i} {{ }}\n"),
        []);

    public static readonly Layout Java = new("java",
        (ns, i, uses) => ($"src/main/java/app/{ns}/F{i}.java",
            $"package app.{ns};\n" + string.Concat(uses.Select(u => $"import app.{u}.*;\n")) + $"class F{i} {{ }}\n"),
        []);

    public static readonly Layout Go = new("go",
        (ns, i, uses) => ($"{ns}/f{i}.go",
            $"package {ns}\n\nimport (\n" + string.Concat(uses.Select(u => $"\t\"example.com/app/{u}\"\n")) + ")\n"),
        [("go.mod", "module example.com/app\n")]);

    public static TheoryData<string> Languages => new() { "csharp", "java", "go" };

    private static Layout LayoutOf(string language) => language switch
    {
        "csharp" => CSharp,
        "java" => Java,
        _ => Go,
    };

    /// <summary>2,000 files share the namespace "big"; <paramref name="users"/> files import it and the 3-file "small".</summary>
    private static TempRepository SharedNamespace(Layout layout, int users)
    {
        var repo = new TempRepository(layout.Extra);
        var files = new List<(string Path, string Text)>();
        for (var i = 0; i < 2_000; i++) files.Add(layout.File("big", i, []));
        for (var i = 0; i < 3; i++) files.Add(layout.File("small", i, []));
        for (var i = 0; i < users; i++) files.Add(layout.File("user", i, ["big", "small"]));
        return repo.Add([.. files]);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void A_namespace_shared_by_2000_files_makes_edges_in_proportion_to_the_files_and_counts_wide_imports(string language)
    {
        using var repo = SharedNamespace(LayoutOf(language), users: 500);

        var graph = ImportGraphBuilder.Build(repo.Root);

        GraphAssert.WellFormed(graph);
        Assert.Equal(2_503, graph.Nodes.Count);
        // Each user reaches the 3 small files; "big" (2,000 files, over the fan-out of 64) is one wide import each.
        Assert.Equal(500 * 3, graph.Edges.Count);
        Assert.All(GraphAssert.Edges(graph), e => Assert.Contains("small/", e.Split(" -> ")[1]));
        Assert.Equal(500, graph.WideImports);
        Assert.Equal(0, graph.UnresolvedTotal);

        var document = JsonSerializer.SerializeToElement(GraphDocument.Of(graph, TimeSpan.Zero));
        Assert.Equal(500, document.GetProperty("wide_imports").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Without_the_fan_out_limit_the_same_repository_reaches_the_edge_limit(string language)
    {
        // The quadratic growth the fan-out limit cuts: 500 users x 2,000 files is a million edges.
        using var repo = SharedNamespace(LayoutOf(language), users: 500);
        var limits = new AnalysisLimits { MaxImportFanOut = 10_000, MaxEdges = 100_000 };

        var error = Assert.Throws<RepositoryTooLargeException>(() => ImportGraphBuilder.Build(repo.Root, limits));

        Assert.Equal("edges", error.Measure);
        Assert.Equal(100_000, error.Limit);
        // Stopped at the first file past the limit, which adds at most one edge per file.
        Assert.InRange(error.Figure, 100_001, 100_000 + 2_003);
        Assert.Contains($"{error.Figure:N0} edges", error.Message);
        Assert.Contains("limit of 100,000", error.Message);
    }

    [Fact]
    public void The_builder_stops_at_the_first_edge_past_the_limit_and_allows_exactly_the_limit()
    {
        // Ten Python modules each importing the nine others: 90 edges.
        using var repo = new TempRepository([.. Enumerable.Range(0, 10).Select(i =>
            ($"m{i}.py", string.Concat(Enumerable.Range(0, 10).Where(j => j != i).Select(j => $"import m{j}\n"))))]);

        Assert.Equal(90, ImportGraphBuilder.Build(repo.Root, new AnalysisLimits { MaxEdges = 90 }).Edges.Count);
        var error = Assert.Throws<RepositoryTooLargeException>(() => ImportGraphBuilder.Build(repo.Root, new AnalysisLimits { MaxEdges = 89 }));
        Assert.Equal(("edges", 90L, 89L), (error.Measure, error.Figure, error.Limit));
        Assert.Equal("The repository is too large to analyse: its imports made 90 edges, over the limit of 89.", error.Message);
    }

    [Fact]
    public void Source_bytes_past_the_limit_are_refused_before_reading_with_the_figure()
    {
        using var repo = new TempRepository(
            ("a.py", new string('#', 1_000)), ("b.js", new string('/', 1_000)), ("package.json", new string(' ', 500)),
            ("README.md", new string('x', 100_000))); // not a source: neither read nor counted

        var limits = new AnalysisLimits { MaxSourceBytes = 2_499 };
        var error = Assert.Throws<RepositoryTooLargeException>(() => ImportGraphBuilder.Build(repo.Root, limits));
        Assert.Equal(("source bytes", 2_500L, 2_499L), (error.Measure, error.Figure, error.Limit));
        Assert.Equal("The repository is too large to analyse: its source files hold 2,500 bytes, over the limit of 2,499.", error.Message);
        Assert.Throws<RepositoryTooLargeException>(() => RepositoryScanner.Scan(repo.Root, limits));

        // Exactly the limit is read.
        var scan = RepositoryScanner.Scan(repo.Root, new AnalysisLimits { MaxSourceBytes = 2_500 });
        Assert.Equal(["a.py", "b.js"], scan.Sources.Select(s => s.Path));
    }

    [Fact]
    public void A_file_over_the_per_file_limit_is_skipped_and_not_counted_against_the_total()
    {
        using var repo = new TempRepository(("big.py", new string('#', 5_000)), ("small.py", "import big\n"));
        var limits = new AnalysisLimits { MaxFileBytes = 1_000, MaxSourceBytes = 1_000 };

        var graph = ImportGraphBuilder.Build(repo.Root, limits);

        GraphAssert.NodesAre(graph, "small.py");
        Assert.Equal(1, graph.SkippedFiles);
        Assert.Contains(graph.Warnings, w => w.StartsWith("big.py:", StringComparison.Ordinal) && w.Contains("1000-byte limit"));
    }

    [Fact]
    public void Limits_travel_as_json_and_the_defaults_are_the_documented_ones()
    {
        var limits = new AnalysisLimits { MaxSourceBytes = 1, MaxEdges = 2, MaxImportFanOut = 3, MaxFileBytes = 4 };
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Assert.Equal(limits, JsonSerializer.Deserialize<AnalysisLimits>(JsonSerializer.Serialize(limits, web), web));
        Assert.Equal(AnalysisLimits.Default, JsonSerializer.Deserialize<AnalysisLimits>("{}", web));

        Assert.Equal(512L * 1024 * 1024, AnalysisLimits.Default.MaxSourceBytes);
        Assert.Equal(5_000_000, AnalysisLimits.Default.MaxEdges);
        Assert.Equal(64, AnalysisLimits.Default.MaxImportFanOut);
        Assert.Equal(1024 * 1024, AnalysisLimits.Default.MaxFileBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnalysisLimits { MaxImportFanOut = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new AnalysisLimits { MaxEdges = -1 }.Validate());
    }

    // --- Random namespace layouts: the exact graph of a model, and edges bounded by imports x fan-out. ---

    /// <summary>File <c>i</c> belongs to namespace <c>Namespace</c> and imports <c>Uses</c> (repeats allowed).</summary>
    public sealed record RandomFile(int Namespace, int[] Uses);

    public sealed record RandomLayout(string Language, RandomFile[] Files, int FanOut)
    {
        public override string ToString() =>
            $"{Language}, fan-out {FanOut}: " + string.Join("; ", Files.Select(f => $"n{f.Namespace} uses [{string.Join(",", f.Uses)}]"));
    }

    private const int NamespaceCount = 5;

    private static readonly Gen<RandomLayout> Layouts =
        from language in Gen.Elements("csharp", "java", "go")
        from count in Gen.Choose(1, 60)
        from skew in Gen.Choose(0, 3) // how strongly files crowd into the first namespaces
        from files in Gen.ArrayOf(
            from ns in Gen.Choose(0, NamespaceCount - 1)
            from crowd in Gen.Choose(0, 3)
            from uses in Gen.ArrayOf(Gen.Choose(0, NamespaceCount - 1))
            select new RandomFile(crowd < skew ? 0 : ns, uses), count)
        from fanOut in Gen.Choose(1, 30)
        select new RandomLayout(language, files, fanOut);

    private static string Ns(int n) => $"n{n}";

    [Property(MaxTest = 120)]
    public Property Random_namespace_layouts_give_the_model_s_graph_and_edges_within_imports_times_fan_out() =>
        Prop.ForAll(Layouts.ToArbitrary(), layout =>
        {
            var language = LayoutOf(layout.Language);
            var written = layout.Files.Select((f, i) => language.File(Ns(f.Namespace), i, f.Uses.Select(Ns).ToList())).ToArray();
            var (sources, index) = InMemory(language, written);
            var limits = new AnalysisLimits { MaxImportFanOut = layout.FanOut };

            var graph = ImportGraphBuilder.Build(new RepositoryScan(sources, index, 0, []), ImportGraphBuilder.Analyzers(limits), limits);

            // The model: a namespace of at most FanOut files is reached whole; a larger one is a wide import; an
            // empty one is unresolved.
            var members = Enumerable.Range(0, NamespaceCount)
                .Select(n => layout.Files.Select((f, i) => (f, i)).Where(t => t.f.Namespace == n).Select(t => written[t.i].Path).ToList())
                .ToList();
            var expected = new SortedSet<string>(StringComparer.Ordinal);
            var wide = 0;
            var unresolved = 0;
            for (var i = 0; i < layout.Files.Length; i++)
                foreach (var use in layout.Files[i].Uses)
                {
                    var reached = members[use];
                    if (reached.Count == 0) unresolved++;
                    else if (reached.Count > layout.FanOut) wide++;
                    else foreach (var target in reached.Where(t => t != written[i].Path)) expected.Add($"{written[i].Path} -> {target}");
                }

            GraphAssert.WellFormed(graph);
            Assert.Equal(expected, GraphAssert.Edges(graph));
            Assert.Equal(wide, graph.WideImports);
            Assert.Equal(unresolved, graph.UnresolvedTotal);
            var imports = layout.Files.Sum(f => f.Uses.Length);
            Assert.True(graph.Edges.Count <= (long)imports * layout.FanOut,
                $"{graph.Edges.Count} edges from {imports} imports with a fan-out of {layout.FanOut}");
        });

    /// <summary>Sources and index as the scanner would give them, without the disk.</summary>
    private static (List<SourceFile> Sources, RepositoryIndex Index) InMemory(Layout layout, (string Path, string Text)[] files)
    {
        var all = files.Concat(layout.Extra).ToList();
        var sources = files.Select(f => new SourceFile(f.Path, layout.Language, f.Text)).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var texts = layout.Extra.ToDictionary(f => f.Path, f => f.Text, StringComparer.Ordinal);
        return (sources, new RepositoryIndex(all.Select(f => f.Path), texts));
    }
}
