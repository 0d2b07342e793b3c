using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph.Languages;

public sealed class CSharpAnalyzerTests
{
    private static readonly CSharpAnalyzer Analyzer = new();

    private const string ProgramCs = """"
        // using Acme.Fake;
        /* using Acme.Fake; */
        global using Acme.Util;
        using System;
        using Acme.Core.Models;
        using static Acme.Util.Strings;
        using static Acme.Util.Strings.Nested;
        using M = Acme.Core.Models.M;
        using CoreNs = global::Acme.Core;
        using static System.Math;
        using Json = Newtonsoft.Json.JsonConvert;
        using Point = (int X, int Y);
        #region using Acme.Fake;
        #endregion
        #if DEBUG
        using System.Diagnostics;
        #endif

        namespace Acme.App
        {
            using Core;

            class Program
            {
                void Run()
                {
                    using (var x = new Foo()) { }
                    using var y = new Foo();
                    using Acme.Fake.Thing z = new();
                    var s = "using Acme.Fake;";
                    var v = @"using Acme.Fake;
                        ""quoted"" using Acme.Fake;";
                    var r = """
                        using Acme.Fake;
                        """;
                    var i = $"{(true ? "using Acme.Fake;" : "x")} using Acme.Fake; {{ using Acme.Fake; }}";
                    var vi = $@"{"}"} using Acme.Fake;";
                    var ri = $$"""{{s}} using Acme.Fake; {"x"}""";
                    var c = '"';
                    var e = '\'';
                    var @namespace = "namespace Acme.Fake;";
                    @namespace = @using; var y = @global::@static;
                }
            }
        }
        """";

    [Fact]
    public void Every_directive_form_resolves_to_the_declaring_files_and_fake_directives_do_not_count()
    {
        var result = Run(Analyzer,
            ("App/Program.cs", ProgramCs),
            ("Core/Models.cs", "namespace Acme.Core.Models { class M { } }"),
            ("Core/Models2.cs", "namespace Acme.Core.Models;\nusing Acme.Util;\nclass N { }"),
            ("Core/Sub.cs", "namespace Acme.Core.Models.Sub;"),
            ("Core/Core.cs", "namespace Acme { namespace Core { class C { } } }\nnamespace Other { using Models; using Acme.Core.Models; }"),
            ("Util/Strings.cs", "namespace Acme.Util { public static class Strings { public static class Nested { } } }"),
            ("Util/Plain.cs", "class Plain { }"),
            ("Fake/Fake.cs", "namespace Acme.Fake;"));

        // global using Acme.Util, static Strings and static Strings.Nested → Strings.cs; Acme.Core.Models and the
        // alias M → both Models files; CoreNs and `using Core;` inside Acme.App → Core.cs. Unresolved: System,
        // System.Math, Newtonsoft.Json.JsonConvert, System.Diagnostics (the tuple alias is not counted).
        AssertImports(result, "App/Program.cs", 4,
            "Util/Strings.cs", "Core/Models.cs", "Core/Models2.cs", "Core/Core.cs");
        // After a file-scoped namespace, Acme.Util is still found globally.
        AssertImports(result, "Core/Models2.cs", 0, "Util/Strings.cs");
        // Inside `namespace Other` (after the Acme blocks closed) `Models` is not Acme.Core.Models.
        AssertImports(result, "Core/Core.cs", 1, "Core/Models.cs", "Core/Models2.cs");
        // The global using gives edges only from the file holding it.
        AssertImports(result, "Util/Plain.cs", 0);
        AssertImports(result, "Fake/Fake.cs", 0);
    }

    [Fact]
    public void Namespaces_are_collected_block_nested_and_file_scoped()
    {
        Assert.Equal(["A", "A.B", "A.B.C", "D", "E.F"],
            CSharpAnalyzer.Parse("namespace A { namespace B { namespace C { class X { void M() { } } } } }\nnamespace D { }\nnamespace E.F { }").Namespaces);
        Assert.Equal(["A.B"], CSharpAnalyzer.Parse("using X;\nnamespace A.B;\nclass C { }").Namespaces);
        Assert.Equal(["K"], CSharpAnalyzer.Parse("var @namespace = 1; @namespace Fake { }\nnamespace K { @using Fake; }").Namespaces);
        var usings = CSharpAnalyzer.Parse("namespace A.B;\nusing X;\nglobal using static Y.Z;\nusing unsafe P = Q.R*;").Usings;
        Assert.Equal(
            [
                new CSharpAnalyzer.UsingDirective(CSharpAnalyzer.UsingKind.Namespace, "X", "A.B", false),
                new CSharpAnalyzer.UsingDirective(CSharpAnalyzer.UsingKind.Static, "Y.Z", "A.B", true),
                new CSharpAnalyzer.UsingDirective(CSharpAnalyzer.UsingKind.Alias, "Q.R", "A.B", false),
            ], usings);
    }

    [Fact]
    public void Directives_inside_a_namespace_look_in_the_enclosing_namespaces_first()
    {
        var result = Run(Analyzer,
            ("a.cs", "namespace Outer.Inner { using Shared; using static Tools.Helper; }"),
            ("b.cs", "namespace Outer.Shared { }"),
            ("c.cs", "namespace Shared { }"),
            ("d.cs", "namespace Outer.Tools { }"),
            ("e.cs", "namespace Outer { }"));
        // Shared → Outer.Shared (closer than the global Shared); Tools.Helper → Outer.Tools, never Outer itself.
        AssertImports(result, "a.cs", 0, "b.cs", "d.cs");
    }

    [Fact]
    public void Garbage_never_throws()
    {
        foreach (var text in Garbage)
        {
            var result = Run(Analyzer, ("a.cs", text), ("b.cs", "namespace B;\n" + text), ("c.cs", "using B;\n" + text));
            Assert.Equal(3, result.Count);
        }
    }

    // ---- property: generated projects ----

    private static readonly string[] Namespaces = ["Gen.Alpha", "Gen.Alpha.Beta", "Gen.Gamma", "Gen.Delta.Epsilon"];

    private sealed record CsFile(int Namespace, int Declaration, CsUsing[] Usings, int Unknown, int Fake);

    private sealed record CsUsing(int Namespace, int Form, int Comment);

    private static readonly string[] Comments =
    [
        "", "/* using Gen.Gamma; */", "// using Gen.Gamma;\n", "\n#region using Gen.Gamma;\n", " /* \" */ ",
    ];

    private static readonly string[] Fakes =
    [
        "var s = \"using Gen.Gamma;\";", "var v = @\"\n using Gen.Gamma;\";", "var r = \"\"\"\nusing Gen.Gamma;\n\"\"\";",
        "var i = $\"{\"using Gen.Gamma;\"}\";", "char c = '\"'; var t = \"using Gen.Gamma;\";",
    ];

    private static readonly Gen<CsFile[]> Files =
        from files in Gen.ArrayOf(
            from ns in Gen.Choose(0, Namespaces.Length - 1)
            from declaration in Gen.Choose(0, 2)
            from usings in Gen.ArrayOf(
                from target in Gen.Choose(0, Namespaces.Length - 1)
                from form in Gen.Choose(0, 3)
                from comment in Gen.Choose(0, Comments.Length - 1)
                select new CsUsing(target, form, comment))
            from unknown in Gen.Choose(0, 3)
            from fake in Gen.Choose(0, Fakes.Length - 1)
            select new CsFile(ns, declaration, usings, unknown, fake))
        where files.Length is > 0 and <= 12
        select files;

    private static string Render(CsUsing directive, int index)
    {
        var ns = Namespaces[directive.Namespace];
        var c = Comments[directive.Comment];
        return directive.Form switch
        {
            0 => $"using {c}{ns};",
            1 => $"using static {ns}.{c}Type{index};",
            2 => $"using Alias{index} = global::{ns}.Type{index}{c};",
            _ => $"global {c} using {ns};",
        };
    }

    private static string Render(CsFile file)
    {
        var usings = string.Join("\n", file.Usings.Select(Render)) + "\n" +
                     string.Concat(Enumerable.Range(0, file.Unknown).Select(u => $"using System.U{u};\n"));
        var ns = Namespaces[file.Namespace];
        var body = $"class C {{ void M() {{ using var x = Open(); using (Open()) {{ }} {Fakes[file.Fake]} }} }}";
        var dot = ns.IndexOf('.');
        return file.Declaration switch
        {
            0 => $"{usings}namespace {ns}\n{{\n{body}\n}}\n",
            1 => $"{usings}namespace {ns};\n{body}\n",
            _ => $"{usings}namespace {ns[..dot]}\n{{\n    namespace {ns[(dot + 1)..]}\n    {{\n{body}\n    }}\n}}\n",
        };
    }

    [Property(MaxTest = 150)]
    public Property Generated_projects_yield_exactly_their_namespace_imports() =>
        Prop.ForAll(Files.ToArbitrary(), (CsFile[] files) =>
        {
            var repo = files.Select((f, i) => ($"src/F{i}.cs", Render(f))).ToArray();
            var result = Run(Analyzer, repo);
            // The nested form `namespace Gen { namespace Alpha { } }` declares Gen as well.
            List<string> DeclaredBy(string name) => files
                .Select((f, j) => (f, j))
                .Where(t => Namespaces[t.f.Namespace] == name || (t.f.Declaration == 2 && Namespaces[t.f.Namespace].Split('.')[0] == name))
                .Select(t => repo[t.j].Item1).ToList();
            for (var i = 0; i < files.Length; i++)
            {
                var expected = new HashSet<string>();
                var unresolved = files[i].Unknown;
                foreach (var directive in files[i].Usings)
                {
                    // A static or alias directive names a type: its namespace is the longest declared prefix.
                    var candidates = new List<string> { Namespaces[directive.Namespace] };
                    if (directive.Form is 1 or 2)
                        for (var name = Namespaces[directive.Namespace]; name.Contains('.');)
                            candidates.Add(name = name[..name.LastIndexOf('.')]);
                    var declaring = candidates.Select(DeclaredBy).FirstOrDefault(d => d.Count > 0) ?? [];
                    if (declaring.Count == 0) unresolved++;
                    expected.UnionWith(declaring);
                }
                expected.Remove(repo[i].Item1);
                Assert.Equal(expected.Order(StringComparer.Ordinal), result[repo[i].Item1].Resolved.Order(StringComparer.Ordinal));
                Assert.Equal(unresolved, result[repo[i].Item1].Unresolved);
            }
        });
}
