using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>The Java tokenizer on hostile input (<see cref="HostileSourceProperties"/>), and imports whose names are
/// long and deep against a deep source tree.</summary>
public sealed class JavaTokenizerProperties : HostileSourceProperties
{
    protected override IReadOnlyList<string> Pieces { get; } =
    [
        "\"", "\"\"\"", "'", "\\", "/", "/*", "*/", "//", "\n", " ", "a", "$", ".", "*", ";", "{", "}", "(", ")", "<", ">",
        "@", "import", "static", "package", "a.b", "\"\"\"\n", "\u00e9",
    ];

    protected override IReadOnlyList<NestingForm> Forms { get; } =
    [
        new("parentheses", "(", ")"),
        new("brackets", "[", "]"),
        new("braces", "{", "}"),
        new("generics", "List<", ">"),
        new("annotations", "@A(", ")"),
        new("lambdas", "x -> {", "}"),
        new("anonymous classes", "new A() {", "}"),
        new("text blocks", "\"\"\"\n", "\"\"\"", Nests: false),
        new("block comments", "/*", "*/", Nests: false),
    ];

    protected override string ImportStatement => "import p.Target;";

    protected override (string Path, string Text)[] Target { get; } = [("p/Target.java", "package p;\nclass Target {}\n")];

    protected override NestingForm DeepFileForm { get; } = new("annotations", "@A(", ")");

    protected override string SourcePath(string stem) => stem + ".java";

    protected override (bool FoundImport, long Steps) Scan(string text)
    {
        var found = JavaAnalyzer.Parse(text).Imports.Any(i => i.Name == "p.Target");
        return (found, JavaAnalyzer.LastScanSteps);
    }

    /// <summary>A class <paramref name="depth"/> packages deep in <paramref name="roots"/> source roots, and
    /// <paramref name="imports"/> imports of names <paramref name="length"/> parts long along its path.</summary>
    private static (string Path, string Text)[] DeepImports(int depth, int length, int roots, int imports)
    {
        var package = string.Join('.', Enumerable.Repeat("a", depth));
        var files = Enumerable.Range(0, roots)
            .Select(r => ($"root{r}/{package.Replace('.', '/')}/A.java", $"package {package};\nclass A {{}}\n")).ToList();
        var name = string.Join('.', Enumerable.Repeat("a", length));
        files.Add(("User.java", string.Concat(Enumerable.Range(0, imports).Select(i => i % 2 == 0 ? $"import {name};\n" : $"import static {name}.*;\n"))));
        return [.. files];
    }

    [Property(MaxTest = 30)]
    public Property Long_imports_resolve_in_steps_linear_in_the_sources() =>
        Prop.ForAll(
            (from depth in Gen.Choose(1, 60)
             from length in Gen.Choose(1, 200)
             from roots in Gen.Choose(1, 3)
             from imports in Gen.Choose(1, 200)
             select (depth, length, roots, imports)).ToArbitrary(),
            shape =>
            {
                var (depth, length, roots, imports) = shape;
                var files = DeepImports(depth, length, roots, imports);
                Run(new JavaAnalyzer(), files);
                var characters = files.Sum(f => (long)f.Path.Length + f.Text.Length);
                // Each import walks down from each source root once, as far as its name matches the tree.
                return (JavaAnalyzer.LastResolveSteps <= roots * StepsPerCharacter * (characters + 1))
                    .Label($"{JavaAnalyzer.LastResolveSteps} steps for {characters} characters");
            });

    [Fact]
    public void A_megabyte_long_import_resolves_to_its_longest_class_prefix()
    {
        var name = "p.Target." + string.Join('.', Enumerable.Repeat("a", 500_000));
        var result = Run(new JavaAnalyzer(), ("p/Target.java", "package p;\nclass Target {}\n"), ("User.java", $"import {name};\n"));
        AssertImports(result, "User.java", 0, "p/Target.java");
        Assert.True(JavaAnalyzer.LastResolveSteps <= 100, $"{JavaAnalyzer.LastResolveSteps} steps");
    }
}
