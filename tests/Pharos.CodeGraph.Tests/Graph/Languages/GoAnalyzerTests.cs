using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph.Languages;

public sealed class GoAnalyzerTests
{
    private static readonly GoAnalyzer Analyzer = new();

    private const string MainGo = """
        package main

        // import "example.com/app/fake"
        /* import "example.com/app/fake" */
        import "example.com/app/util"
        import u2 "example.com/app/models"
        import _ "example.com/app/driver"
        import . "example.com/app/dot"
        import (
        	"fmt" // the standard library
        	/* a comment "example.com/app/fake" */
        	alias "example.com/app/store"
        	// "example.com/app/fake"
        	`example.com/app/raw`
        	"github.com/other/mod"
        )

        var c = '"'
        var s = "import \"example.com/app/fake\""
        var r = `
        import "example.com/app/fake"
        `
        var q = '\''

        func main() { _ = "example.com/app/fake"; /* import "example.com/app/fake" */ }
        """;

    [Fact]
    public void Every_import_form_resolves_to_the_package_files_and_fake_imports_do_not_count()
    {
        var result = Run(Analyzer,
            ("go.mod", "module example.com/app\n\ngo 1.22\n\nrequire github.com/other/mod v1.0.0\n"),
            ("cmd/app/main.go", MainGo),
            ("util/a.go", "package util"),
            ("util/b.go", "package util"),
            ("util/a_test.go", "package util_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/app/util\"\n)\n"),
            ("models/m.go", "package models"),
            ("driver/d.go", "package driver"),
            ("dot/x.go", "package dot"),
            ("store/s.go", "package store\nimport \"example.com/app\""),
            ("raw/r.go", "package raw"),
            ("fake/f.go", "package fake"),
            ("root.go", "package app"));

        AssertImports(result, "cmd/app/main.go", 2,
            "util/a.go", "util/b.go", "models/m.go", "driver/d.go", "dot/x.go", "store/s.go", "raw/r.go");
        // Test files are nodes and their imports count, but an import never points at a test file.
        AssertImports(result, "util/a_test.go", 1, "util/a.go", "util/b.go");
        // The module path itself names the module's root directory.
        AssertImports(result, "store/s.go", 0, "root.go");
        AssertImports(result, "fake/f.go", 0);
    }

    [Fact]
    public void Multi_module_repositories_resolve_by_the_longest_module_path_and_respect_module_boundaries()
    {
        var result = Run(Analyzer,
            ("go.mod", "module example.com/root\n"),
            ("tools/go.mod", "// the tools\nmodule \"example.com/tools\" // quoted\n"),
            ("lib/go.mod", "module example.com/root/lib\n"),
            ("main.go", """
                package main
                import (
                    "example.com/root/lib/x"
                    "example.com/tools/gen"
                    "example.com/root/tools/gen" // tools/gen belongs to the tools module, not to root
                    "example.com/root/internal/a"
                )
                """),
            ("internal/a/a.go", "package a"),
            ("lib/x/x.go", "package x\nimport (\n\"example.com/root/internal/a\"\n\"example.com/root/lib/y\"\n)"),
            ("lib/y/y.go", "package y\nimport \"example.com/root/lib/x/missing\""),
            ("tools/gen/g.go", "package gen\nimport \"example.com/root/lib/x\""),
            ("tools/gen/g_test.go", "package gen\nimport \"example.com/tools/gen\""));

        AssertImports(result, "main.go", 1, "lib/x/x.go", "tools/gen/g.go", "internal/a/a.go");
        AssertImports(result, "lib/x/x.go", 0, "internal/a/a.go", "lib/y/y.go");
        AssertImports(result, "lib/y/y.go", 1);
        AssertImports(result, "tools/gen/g.go", 0, "lib/x/x.go");
        AssertImports(result, "tools/gen/g_test.go", 0, "tools/gen/g.go");
    }

    [Fact]
    public void Without_go_mod_only_relative_imports_resolve()
    {
        var result = Run(Analyzer,
            ("a/a.go", "package a\nimport (\n\"./b\"\n\"../c\"\n\"../../outside\"\n\"b\"\n\"fmt\"\n\"example.com/a/b\"\n)"),
            ("a/b/b.go", "package b"),
            ("a/b/b2.go", "package b"),
            ("c/c.go", "package c"));

        AssertImports(result, "a/a.go", 4, "a/b/b.go", "a/b/b2.go", "c/c.go");
        AssertImports(result, "c/c.go", 0);
    }

    [Fact]
    public void Vendored_packages_and_the_std_module_resolve()
    {
        var result = Run(Analyzer,
            ("go.mod", "module m"),
            ("main.go", "package main\nimport (\"github.com/x/y\"; \"github.com/x/z\"; \"m/onlytests\")"),
            ("vendor/github.com/x/y/y.go", "package y"),
            ("onlytests/o_test.go", "package onlytests"),
            ("src/go.mod", "module std\n\ngo 1.23\n"),
            ("src/net/http/server.go", "package http\nimport (\n\"net/textproto\"\n\"golang.org/x/net/http/httpguts\"\n\"golang.org/x/other\"\n\"unsafe\"\n)"),
            ("src/net/textproto/reader.go", "package textproto"),
            ("src/vendor/golang.org/x/net/http/httpguts/guts.go", "package httpguts"));

        AssertImports(result, "main.go", 2, "vendor/github.com/x/y/y.go");
        AssertImports(result, "src/net/http/server.go", 2,
            "src/net/textproto/reader.go", "src/vendor/golang.org/x/net/http/httpguts/guts.go");
    }

    [Fact]
    public void A_go_mod_without_text_leaves_its_imports_unresolved()
    {
        var files = new[] { new SourceFile("main.go", LanguageNames.Go, "package main\nimport \"m/p\""), new SourceFile("p/p.go", LanguageNames.Go, "package p") };
        var result = Analyzer.Analyze(files, new RepositoryIndex(["go.mod", "main.go", "p/p.go"]));
        Assert.Empty(result[0].Resolved);
        Assert.Equal(1, result[0].Unresolved);
    }

    [Fact]
    public void The_module_directive_is_read_past_comments_and_quotes()
    {
        Assert.Equal("example.com/m", GoAnalyzer.ModulePath("// module fake\n\nmodule example.com/m // trailing\n"));
        Assert.Equal("example.com/q", GoAnalyzer.ModulePath("module \"example.com/q\""));
        Assert.Equal("example.com/r", GoAnalyzer.ModulePath("module `example.com/r`"));
        Assert.Null(GoAnalyzer.ModulePath("modules x\ngo 1.22"));
        Assert.Null(GoAnalyzer.ModulePath("module"));
    }

    [Fact]
    public void Garbage_never_throws()
    {
        foreach (var text in Garbage)
        {
            var result = Run(Analyzer, ("go.mod", text), ("a.go", text), ("b/b.go", "package b\n" + text));
            Assert.Equal(2, result.Count);
        }
    }

    /// <summary>The Go tree itself, when the machine has one: net/http imports net/textproto.</summary>
    [Fact]
    public void Real_go_sources_resolve_when_present()
    {
        var roots = new[] { "/usr/share/gocode/src" }
            .Concat(Directory.Exists("/usr/lib") ? Directory.GetDirectories("/usr/lib", "go*").Select(d => Path.Combine(d, "src")) : [])
            .Concat(["/usr/local/go/src"]);
        var root = roots.FirstOrDefault(r => File.Exists(Path.Combine(r, "go.mod")) && Directory.Exists(Path.Combine(r, "net", "http")));
        if (root is null) return; // no Go tree on this machine: the hand-made fixtures above are the proof

        var files = new List<SourceFile>();
        foreach (var dir in new[] { "net/http", "net/textproto" })
            foreach (var file in Directory.GetFiles(Path.Combine(root, dir), "*.go"))
                files.Add(new SourceFile(dir + "/" + Path.GetFileName(file), LanguageNames.Go, File.ReadAllText(file)));
        var index = new RepositoryIndex(files.Select(f => f.Path).Append("go.mod"),
            new Dictionary<string, string> { ["go.mod"] = File.ReadAllText(Path.Combine(root, "go.mod")) });

        var result = Analyzer.Analyze(files, index).ToDictionary(r => r.Path);
        Assert.Contains(result["net/http/transport.go"].Resolved, p => p.StartsWith("net/textproto/", StringComparison.Ordinal));
        Assert.True(result["net/http/transport.go"].Unresolved > 0);
    }

    // ---- property: generated modules ----

    private sealed record GoImport(int Package, int Form, int Comment);

    private sealed record GoFile(int Package, GoImport[] Imports, int StdImports, bool Grouped);

    private static readonly string[] Comments =
    [
        "", " // import \"example.com/gen/p0\"", " /* \"example.com/gen/p1\" */", " /* import (\n \"example.com/gen/p2\"\n) */",
    ];

    private static readonly Gen<GoFile[]> Files =
        from packageCount in Gen.Choose(1, 5)
        from files in Gen.ArrayOf(
            from package in Gen.Choose(0, packageCount - 1)
            from imports in Gen.ArrayOf(
                from target in Gen.Choose(0, packageCount - 1)
                from form in Gen.Choose(0, 4)
                from comment in Gen.Choose(0, Comments.Length - 1)
                select new GoImport(target, form, comment))
            from std in Gen.Choose(0, 3)
            from grouped in Gen.Elements(true, false)
            select new GoFile(package, imports.Where(i => i.Package != package).ToArray(), std, grouped))
        where files.Length is > 0 and <= 12
        select files;

    private static string Spec(GoImport import)
    {
        var path = $"example.com/gen/p{import.Package}";
        var spec = import.Form switch
        {
            0 => $"\"{path}\"",
            1 => $"alias{import.Package} \"{path}\"",
            2 => $"_ \"{path}\"",
            3 => $". \"{path}\"",
            _ => $"`{path}`",
        };
        return spec + Comments[import.Comment];
    }

    private static string Render(GoFile file)
    {
        var specs = file.Imports.Select(Spec).Concat(Enumerable.Range(0, file.StdImports).Select(i => $"\"std{i}/pkg\""));
        var body = file.Grouped
            ? "import (\n" + string.Concat(specs.Select(s => "\t" + s + "\n")) + ")\n"
            : string.Concat(specs.Select(s => "import " + s + "\n"));
        return $"package p{file.Package}\n{Comments[3]}\n{body}\nvar fake = \"import \\\"example.com/gen/p0\\\"\"\nvar raw = `import \"example.com/gen/p0\"`\n";
    }

    [Property(MaxTest = 150)]
    public Property Generated_modules_yield_exactly_their_package_imports() =>
        Prop.ForAll(Files.ToArbitrary(), (GoFile[] files) =>
        {
            var repo = new List<(string, string)> { ("go.mod", "module example.com/gen\n") };
            var paths = new List<string>();
            for (var i = 0; i < files.Length; i++)
            {
                var path = $"p{files[i].Package}/f{i}.go";
                paths.Add(path);
                repo.Add((path, Render(files[i])));
                repo.Add(($"p{files[i].Package}/f{i}_test.go", "package x\n"));
            }
            var result = Run(Analyzer, repo.ToArray());
            for (var i = 0; i < files.Length; i++)
            {
                var expected = files[i].Imports
                    .SelectMany(imp => paths.Where(p => p.StartsWith($"p{imp.Package}/", StringComparison.Ordinal)))
                    .Order(StringComparer.Ordinal).Distinct();
                Assert.Equal(expected, result[paths[i]].Resolved.Order(StringComparer.Ordinal));
                // A generated package may have no file at all: importing it names nothing.
                var empty = files[i].Imports.Count(imp => files.All(f => f.Package != imp.Package));
                Assert.Equal(files[i].StdImports + empty, result[paths[i]].Unresolved);
            }
        });
}
