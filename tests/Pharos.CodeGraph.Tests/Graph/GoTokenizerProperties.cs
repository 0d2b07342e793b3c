using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>The Go tokenizer on hostile input (<see cref="HostileSourceProperties"/>), and a megabyte import path.</summary>
public sealed class GoTokenizerProperties : HostileSourceProperties
{
    private const string TargetImport = "example.com/m/target";

    protected override IReadOnlyList<string> Pieces { get; } =
    [
        "\"", "`", "'", "\\", "/", "/*", "*/", "//", "\n", " ", "x", "_", ".", ";", "(", ")", "{", "}", "[", "]", "import",
        "package", "func", "\"a/b\"", "`a/b`", "import (", "\u00e9",
    ];

    protected override IReadOnlyList<NestingForm> Forms { get; } =
    [
        new("parentheses", "(", ")"),
        new("brackets", "[", "]"),
        new("braces", "{", "}"),
        new("type parameters", "F[T ", "]"),
        new("function literals", "func(){", "}()"),
        new("composite literals", "T{", "}"),
        new("import groups", "import (", ")"),
        new("block comments", "/*", "*/", Nests: false),
        new("raw strings", "`", "`", Nests: false),
    ];

    protected override string ImportStatement => $"import \"{TargetImport}\"";

    protected override (string Path, string Text)[] Target { get; } =
        [("go.mod", "module example.com/m\n"), ("target/t.go", "package target\n")];

    protected override NestingForm DeepFileForm { get; } = new("brackets", "{[(", ")]}");

    protected override string SourcePath(string stem) => stem + ".go";

    protected override (bool FoundImport, long Steps) Scan(string text)
    {
        var found = GoAnalyzer.Imports(text).Contains(TargetImport);
        return (found, GoAnalyzer.LastScanSteps);
    }

    [Fact]
    public void A_megabyte_import_path_is_looked_up_in_steps_linear_in_its_length()
    {
        var path = "example.com/m/" + string.Join('/', Enumerable.Repeat("a", 500_000));
        var main = $"package main\nimport \"{path}\"\nimport \"{TargetImport}\"\n";
        var result = Run(new GoAnalyzer(), ("go.mod", "module example.com/m\n"), ("sub/go.mod", "module example.com/m/sub\n"),
            ("main.go", main), ("target/t.go", "package target\n"));
        AssertImports(result, "main.go", 1, "target/t.go");
        Assert.True(GoAnalyzer.LastResolveSteps <= StepsPerCharacter * (main.Length + 1L),
            $"{GoAnalyzer.LastResolveSteps} steps for {main.Length} characters");
    }
}
