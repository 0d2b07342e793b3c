using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph.Languages;

/// <summary>
/// What a C# file's namespaces may make the parser hold: nesting and long names stop at
/// <see cref="CSharpAnalyzer.MaxNameParts"/> parts and <see cref="CSharpAnalyzer.MaxNameLength"/> characters, so the
/// names held grow with the file, not with its square.
/// </summary>
public sealed class CSharpNamespaceCapsTests
{
    private static string Nested(int depth, string inner) =>
        string.Concat(Enumerable.Repeat("namespace A {", depth)) + inner + new string('}', depth);

    [Fact]
    public void Deep_nesting_holds_at_most_the_capped_names_and_its_directives_resolve_in_the_deepest_one_kept()
    {
        var source = CSharpAnalyzer.Parse(Nested(100_000, "namespace B { using X; }"));

        var deepest = string.Join('.', Enumerable.Repeat("A", CSharpAnalyzer.MaxNameParts));
        Assert.Equal(CSharpAnalyzer.MaxNameParts, source.Namespaces.Count);
        Assert.Equal(deepest, source.Namespaces[^1]);
        Assert.True(source.Namespaces.Sum(n => n.Length) <= CSharpAnalyzer.MaxNameParts * CSharpAnalyzer.MaxNameLength);
        // B would be part 33: its block is read as braces of the deepest namespace kept.
        var directive = Assert.Single(source.Usings);
        Assert.Equal(("X", deepest), (directive.Name, directive.Scope));
    }

    [Fact]
    public void A_namespace_at_the_caps_is_declared_and_one_past_them_is_not()
    {
        var parts = string.Join('.', Enumerable.Range(0, CSharpAnalyzer.MaxNameParts).Select(i => $"P{i}"));
        Assert.Equal([parts], CSharpAnalyzer.Parse($"namespace {parts};").Namespaces);
        Assert.Empty(CSharpAnalyzer.Parse($"namespace {parts}.More;").Namespaces);
        Assert.Equal([parts], CSharpAnalyzer.Parse($"namespace {parts} {{ namespace More {{ }} }}").Namespaces);

        var longest = new string('L', CSharpAnalyzer.MaxNameLength);
        Assert.Equal([longest], CSharpAnalyzer.Parse($"namespace {longest} {{ }}").Namespaces);
        Assert.Empty(CSharpAnalyzer.Parse($"namespace {longest}L {{ }}").Namespaces);
    }

    [Fact]
    public void A_static_directive_of_half_a_million_parts_still_finds_its_declared_namespace()
    {
        var type = string.Join('.', Enumerable.Repeat("Nested", 500_000));
        var result = Run(new CSharpAnalyzer(),
            ("Lib.cs", "namespace Lib.Core;\nclass Nested { }\n"),
            ("App.cs", $"using static Lib.Core.{type};\nusing static Lib.{type};\nnamespace App;\n"));

        AssertImports(result, "App.cs", 1, "Lib.cs");
    }
}
