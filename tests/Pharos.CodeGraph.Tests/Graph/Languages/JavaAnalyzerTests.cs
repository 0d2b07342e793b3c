using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph.Languages;

public sealed class JavaAnalyzerTests
{
    private static readonly JavaAnalyzer Analyzer = new();

    private const string Main = "src/main/java/com/acme/";
    private const string Test = "src/test/java/com/acme/";

    private const string AppJava = """"
        /* Licence: import com.acme.fake.Fake; */
        package com.acme.app;

        // import com.acme.fake.Fake;
        import com.acme.util.Strings;
        import com.acme.util.*;
        import static com.acme.util.Lists.of;
        import static com.acme.util.Lists.*;
        import com.acme.model.Outer.Inner;
        import com.acme.pkg.Inner;
        import com.acme.shared.Config;
        import org.lib.Lib;
        import java.util.List;
        import java.util.*;
        import static org.junit.Assert.assertEquals;
        import com.acme.util.Missing;
        import   com /* split */ . acme . // across lines
            model.Outer ;

        public class App {
            char quote = '"';
            String s = "import com.acme.fake.Fake;";
            String block = """
                import com.acme.fake.Fake;
                \""" still inside
                """;
            char escaped = '\'';
            String escapedQuote = "\" import com.acme.fake.Fake;";
        }
        """";

    [Fact]
    public void Every_import_form_resolves_across_source_roots_and_fake_imports_do_not_count()
    {
        var result = Run(Analyzer,
            (Main + "app/App.java", AppJava),
            (Main + "util/Strings.java", "package com.acme.util;\npublic class Strings {}"),
            (Main + "util/Lists.java", "package com.acme.util; public class Lists {}"),
            (Main + "util/package-info.java", "/** docs */\n@Deprecated\npackage com.acme.util;"),
            (Main + "util/sub/Deep.java", "package com.acme.util.sub;"),
            (Main + "model/Outer.java", "package com.acme.model;"),
            (Main + "pkg/Inner.java", "package com.acme.pkg;"),
            (Main + "shared/Config.java", "package com.acme.shared;"),
            (Main + "fake/Fake.java", "package com.acme.fake;"),
            (Test + "shared/Config.java", "package com.acme.shared;"),
            (Test + "app/AppTest.java", "package com.acme.app;\nimport com.acme.app.App;\nimport com.acme.testing.Fixtures;\nimport org.junit.Test;"),
            (Test + "testing/Fixtures.java", "package com.acme.testing;"),
            ("lib/src/org/lib/Lib.java", "package org.lib;\nimport com.acme.util.sub.*;"));

        AssertImports(result, Main + "app/App.java", 4,
            Main + "util/Strings.java", Main + "util/Lists.java",
            Main + "model/Outer.java", Main + "pkg/Inner.java",
            Main + "shared/Config.java", Test + "shared/Config.java", "lib/src/org/lib/Lib.java");
        AssertImports(result, Test + "app/AppTest.java", 1, Main + "app/App.java", Test + "testing/Fixtures.java");
        AssertImports(result, "lib/src/org/lib/Lib.java", 0, Main + "util/sub/Deep.java");
        AssertImports(result, Main + "fake/Fake.java", 0);
    }

    [Fact]
    public void Roots_come_only_from_files_whose_directory_matches_their_package()
    {
        var result = Run(Analyzer,
            ("Main.java", "import com.other.Thing;\nimport Helper;\nimport top.Top;\nimport static top.Top.*;"),
            ("Helper.java", "class Helper {}"),
            ("weird/Thing.java", "package com.other;"),
            ("top/Top.java", "package top;"),
            ("nested/a/b/C.java", "package a.b;\nimport a.b.C.Inner;\nimport static a.b.C.Inner.CONSTANT;\nimport a.b.C.*;\nimport static a.b.C.Inner.*;"),
            ("nested/a/b/C/Inner.java", "package a.b.C;"));

        // weird/ is not com/other/, and a default-package class cannot be imported.
        AssertImports(result, "Main.java", 2, "top/Top.java");
        // The nested file a/b/C/Inner.java is preferred to its outer class a/b/C.java; a.b.C.* is a package here.
        AssertImports(result, "nested/a/b/C.java", 0, "nested/a/b/C/Inner.java");
        Assert.Equal("src", JavaAnalyzer.RootOf("src/x/y/C.java", "x.y"));
        Assert.Equal("", JavaAnalyzer.RootOf("x/y/C.java", "x.y"));
        Assert.Null(JavaAnalyzer.RootOf("srcx/y/C.java", "x.y"));
        Assert.Null(JavaAnalyzer.RootOf("y/C.java", "x.y"));
        Assert.Null(JavaAnalyzer.RootOf("C.java", null));
    }

    [Fact]
    public void The_parser_reads_the_package_and_imports_through_comments()
    {
        var source = JavaAnalyzer.Parse("@Ann(\"package fake;\") package /* c */ a . b ; import static x . Y . * ; import p.q.R\n;");
        Assert.Equal("a.b", source.Package);
        Assert.Equal([new JavaAnalyzer.JavaImport("x.Y", true, true), new JavaAnalyzer.JavaImport("p.q.R", false, false)], source.Imports);
    }

    [Fact]
    public void Garbage_never_throws()
    {
        foreach (var text in Garbage)
        {
            var result = Run(Analyzer, ("a/A.java", text), ("b/B.java", "package b;\n" + text));
            Assert.Equal(2, result.Count);
        }
    }

    // ---- property: generated projects ----

    private sealed record JavaClass(int Package, int Root, JavaImport[] Imports, int Unknown);

    private sealed record JavaImport(int Package, int Class, int Form, int Comment);

    private static readonly string[] Roots = ["src/main/java", "src/test/java", "module/src"];

    private static readonly string[] Comments = ["", "/* import p0.C0; */", "// import p1.C1;\n", "\n"];

    private static readonly Gen<JavaClass[]> Classes =
        from classes in Gen.ArrayOf(
            from package in Gen.Choose(0, 3)
            from root in Gen.Choose(0, Roots.Length - 1)
            from imports in Gen.ArrayOf(
                from target in Gen.Choose(0, 11)
                from form in Gen.Choose(0, 3)
                from comment in Gen.Choose(0, Comments.Length - 1)
                select new JavaImport(target % 4, target, form, comment))
            from unknown in Gen.Choose(0, 3)
            select new JavaClass(package, root, imports, unknown))
        where classes.Length is > 0 and <= 12
        select classes;

    private static string PathOf(JavaClass c, int index) => $"{Roots[c.Root]}/org/gen/p{c.Package}/C{index}.java";

    private static string Render(JavaImport import)
    {
        var c = Comments[import.Comment];
        var name = $"org{c}.gen.p{import.Package}";
        return import.Form switch
        {
            0 => $"import {name}.C{import.Class} {c};",
            1 => $"import {name}.{c}*;",
            2 => $"import static {name}.C{import.Class}.member{c};",
            _ => $"import static {c}{name}.C{import.Class}.*;",
        };
    }

    [Property(MaxTest = 150)]
    public Property Generated_projects_yield_exactly_their_class_imports() =>
        Prop.ForAll(Classes.ToArbitrary(), (JavaClass[] classes) =>
        {
            var files = classes.Select((c, i) => (PathOf(c, i),
                $"{Comments[1]}\npackage org.gen.p{c.Package};\n" +
                string.Join("\n", c.Imports.Select(Render)) + "\n" +
                string.Concat(Enumerable.Range(0, c.Unknown).Select(u => $"import java.u{u}.Thing;\n")) +
                "class X { String s = \"import org.gen.p0.C0;\"; }\n")).ToArray();
            var result = Run(Analyzer, files);
            for (var i = 0; i < classes.Length; i++)
            {
                var expected = new HashSet<string>();
                var unresolved = classes[i].Unknown;
                foreach (var import in classes[i].Imports)
                {
                    var targets = classes.Select((c, j) => (c, j))
                        .Where(t => t.c.Package == import.Package && (import.Form == 1 || t.j == import.Class))
                        .Select(t => PathOf(t.c, t.j)).ToList();
                    if (targets.Count == 0) unresolved++;
                    expected.UnionWith(targets);
                }
                expected.Remove(files[i].Item1);
                Assert.Equal(expected.Order(StringComparer.Ordinal), result[files[i].Item1].Resolved.Order(StringComparer.Ordinal));
                Assert.Equal(unresolved, result[files[i].Item1].Unresolved);
            }
        });
}
