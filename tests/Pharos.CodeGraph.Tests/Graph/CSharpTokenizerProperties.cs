using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>The C# tokenizer on hostile input (<see cref="HostileSourceProperties"/>): interpolated strings nest in
/// their holes, a run of '$' and '@' may start a literal at any of its positions; and directives are resolved in as
/// few steps when namespaces and names are long and deep.</summary>
public sealed class CSharpTokenizerProperties : HostileSourceProperties
{
    protected override IReadOnlyList<string> Pieces { get; } =
    [
        "$", "@", "\"", "\"\"", "\"\"\"", "{", "}", "{{", "}}", "(", ")", "[", "]", "'", "\\", "/", "/*", "*/", "//", "\n",
        "#", "#if A\n", " ", "x", "A", ".", ";", "=", "::", "<", ">", ":", "using", "static", "global", "unsafe", "namespace",
        "@namespace", "$@\"", "@$\"", "$$\"\"\"", "\u00e9",
    ];

    protected override IReadOnlyList<NestingForm> Forms { get; } =
    [
        new("parentheses", "(", ")"),
        new("brackets", "[", "]"),
        new("braces", "{", "}"),
        new("generics", "List<", ">"),
        new("attributes", "[A(", ")]"),
        new("namespace blocks", "namespace A{", "}"),
        new("interpolated strings", "$\"{", "}\""),
        new("verbatim interpolated strings", "$@\"{", "}\""),
        new("interpolations with format braces", "$\"{{{", "}}}\""),
        new("strings in braces in holes", "$\"{(\"(\" + ", ")}\""),
        new("preprocessor conditions", "#if A\n", "#endif\n"),
        new("raw interpolated strings", "$$\"\"\"{{", "}}\"\"\"", Nests: false),
        new("block comments", "/*", "*/", Nests: false),
        new("runs of dollars and ats", "$@$", "\"", Nests: false),
    ];

    protected override string ImportStatement => "using Target;";

    protected override (string Path, string Text)[] Target { get; } = [("Target.cs", "namespace Target;\n")];

    protected override NestingForm DeepFileForm { get; } = new("interpolated strings", "$\"{", "}\"");

    protected override string SourcePath(string stem) => stem + ".cs";

    protected override (bool FoundImport, long Steps) Scan(string text)
    {
        var found = CSharpAnalyzer.Parse(text).Usings.Any(u => u.Name == "Target");
        return (found, CSharpAnalyzer.LastScanSteps);
    }

    [Fact]
    public void Namespaces_too_long_or_too_deep_to_track_declare_nothing_and_keep_their_braces()
    {
        var deep = string.Concat(Enumerable.Repeat("namespace A{", 40)) + "using X;" + new string('}', 40) + "using Y;";
        var source = CSharpAnalyzer.Parse(deep);
        Assert.Equal(CSharpAnalyzer.MaxNameParts, source.Namespaces.Count);
        Assert.Equal(string.Join('.', Enumerable.Repeat("A", CSharpAnalyzer.MaxNameParts)), source.Namespaces[^1]);
        Assert.Equal(source.Namespaces[^1], source.Usings.Single(u => u.Name == "X").Scope);
        Assert.Equal("", source.Usings.Single(u => u.Name == "Y").Scope);

        var longName = new string('N', CSharpAnalyzer.MaxNameLength + 1);
        var tooLong = CSharpAnalyzer.Parse($"namespace {longName};\nusing X;");
        Assert.Empty(tooLong.Namespaces);
        Assert.Equal("", tooLong.Usings.Single().Scope);
    }

    /// <summary>A file-scoped namespace <paramref name="depth"/> parts deep and <paramref name="directives"/> directives
    /// in it naming <paramref name="length"/> parts, against namespaces declared at every depth of the same parts: every
    /// lookup walks as far as it can.</summary>
    private static (string Path, string Text)[] DeepDirectives(int depth, int length, int directives)
    {
        string Parts(int count) => string.Join('.', Enumerable.Repeat("a", count));
        var files = Enumerable.Range(1, depth).Select(d => ($"ns{d}.cs", $"namespace {Parts(d)};\n")).ToList();
        var usings = string.Concat(Enumerable.Range(0, directives).Select(i => i % 2 == 0 ? $"using {Parts(length)};\n" : $"using static {Parts(length)}.T;\n"));
        files.Add(("user.cs", $"namespace {Parts(depth)};\n{usings}"));
        return [.. files];
    }

    [Property(MaxTest = 30)]
    public Property Directives_in_deep_namespaces_resolve_in_steps_linear_in_the_sources() =>
        Prop.ForAll(Gen.Choose(1, 40).ToArbitrary(), Gen.Choose(1, 80).ToArbitrary(), Gen.Choose(1, 300).ToArbitrary(),
            (depth, length, directives) =>
            {
                var files = DeepDirectives(depth, length, directives);
                Run(new CSharpAnalyzer(), files);
                var characters = files.Sum(f => (long)f.Text.Length);
                // Each lookup walks at most the tracked depth in each of at most that many enclosing namespaces.
                return (CSharpAnalyzer.LastResolveSteps <= 4 * StepsPerCharacter * (characters + 1))
                    .Label($"{CSharpAnalyzer.LastResolveSteps} steps for {characters} characters");
            });

    [Fact]
    public void A_megabyte_long_static_directive_resolves_to_its_longest_declared_prefix()
    {
        var name = string.Join('.', Enumerable.Repeat("a", 500_000));
        var result = Run(new CSharpAnalyzer(), ("a.cs", "namespace a.a;\n"), ("user.cs", $"using static {name};\n"));
        AssertImports(result, "user.cs", 0, "a.cs");
        Assert.True(CSharpAnalyzer.LastResolveSteps <= 100, $"{CSharpAnalyzer.LastResolveSteps} steps");
    }
}
