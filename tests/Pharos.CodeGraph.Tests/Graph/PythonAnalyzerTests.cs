namespace Pharos.CodeGraph.Tests.Graph;

public sealed class PythonAnalyzerTests
{
    private static ImportGraph BuildPython(TempRepository repo)
    {
        var graph = repo.Build(new PythonAnalyzer());
        GraphAssert.WellFormed(graph);
        return graph;
    }

    /// <summary>A package tree: pkg/{__init__,a,b,c}.py, pkg/sub/{__init__,d}.py, top.py.</summary>
    private static TempRepository Tree(string mainPath, string mainText) => new(
        ("pkg/__init__.py", ""),
        ("pkg/a.py", ""),
        ("pkg/b.py", ""),
        ("pkg/c.py", ""),
        ("pkg/sub/__init__.py", ""),
        ("pkg/sub/d.py", ""),
        ("top.py", ""),
        (mainPath, mainText));

    [Fact]
    public void Plain_import_of_dotted_names_with_aliases_and_lists()
    {
        using var repo = Tree("main.py", "import pkg.a\nimport pkg.sub.d as d, top\nimport os, sys\nimport pkg.b as bee, json as j\n");
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> pkg/a.py", "main.py -> pkg/sub/d.py", "main.py -> top.py", "main.py -> pkg/b.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 3);
    }

    [Fact]
    public void Plain_import_goes_to_the_deepest_existing_module()
    {
        using var repo = Tree("main.py",
            "import pkg.sub.d.attr.more\n" + // d.py is the deepest module
            "import pkg.sub.missing\n" +     // pkg/sub/__init__.py
            "import pkg.nothing.here\n" +    // pkg/__init__.py
            "import pkg.sub\n");             // the package itself: pkg/sub/__init__.py
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> pkg/sub/d.py", "main.py -> pkg/sub/__init__.py", "main.py -> pkg/__init__.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 0);
    }

    [Fact]
    public void From_import_names_a_submodule_when_it_exists_else_the_package_module()
    {
        using var repo = Tree("main.py",
            "from pkg import a, b as bee\n" +   // two submodules, not the package
            "from pkg import something\n" +     // a name in pkg/__init__.py
            "from pkg.sub import d, helper\n" + // a submodule and a name: both files
            "from pkg.c import func\n" +        // a name in a module
            "from pkg import *\n" +             // the package module again (deduplicated)
            "from os import path, sep\n" +      // one unresolved target
            "from collections.abc import Mapping\n");
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph,
            "main.py -> pkg/a.py", "main.py -> pkg/b.py", "main.py -> pkg/__init__.py",
            "main.py -> pkg/sub/d.py", "main.py -> pkg/sub/__init__.py", "main.py -> pkg/c.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 2);
    }

    [Fact]
    public void Parenthesised_multi_line_and_backslash_continued_from_imports()
    {
        using var repo = Tree("main.py",
            "from pkg import (\n    a,\n    b as bee,  # a comment\n\n    c,\n)\n" +
            "from pkg.sub \\\n    import \\\n    d\n" +
            "import top, \\\n    pkg.sub\n");
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph,
            "main.py -> pkg/a.py", "main.py -> pkg/b.py", "main.py -> pkg/c.py",
            "main.py -> pkg/sub/d.py", "main.py -> top.py", "main.py -> pkg/sub/__init__.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 0);
    }

    [Fact]
    public void Relative_imports_at_every_level()
    {
        using var repo = Tree("pkg/sub/e.py",
            "from . import d\n" +            // pkg/sub/d.py
            "from .d import thing\n" +       // pkg/sub/d.py (again)
            "from .. import a\n" +           // pkg/a.py
            "from ..b import x\n" +          // pkg/b.py
            "from ..sub import d as dd\n" +  // pkg/sub/d.py
            "from ... import top\n" +        // top.py at the root
            "from .missing import x\n" +     // unresolved
            "from .... import nothing\n" +   // above the root: unresolved
            "from . import helper\n");       // a name of pkg/sub/__init__.py
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph,
            "pkg/sub/e.py -> pkg/sub/d.py", "pkg/sub/e.py -> pkg/a.py", "pkg/sub/e.py -> pkg/b.py",
            "pkg/sub/e.py -> top.py", "pkg/sub/e.py -> pkg/sub/__init__.py");
        GraphAssert.UnresolvedIs(graph, "pkg/sub/e.py", 2);
    }

    [Fact]
    public void Relative_import_in_a_package_init_is_relative_to_that_package()
    {
        using var repo = new TempRepository(
            ("pkg/__init__.py", "from .a import f\nfrom . import b\n"),
            ("pkg/a.py", ""),
            ("pkg/b.py", "from .a import g\n"));
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "pkg/__init__.py -> pkg/a.py", "pkg/__init__.py -> pkg/b.py", "pkg/b.py -> pkg/a.py");
    }

    [Fact]
    public void Imports_at_any_depth_and_after_semicolons_and_colons_count()
    {
        using var repo = Tree("main.py", """
            import sys; import pkg.a
            if sys.version_info >= (3, 8):
                from pkg import b
            else:
                pass
            try:
                import pkg.c
            except ImportError:
                top = None
            def f():
                from pkg.sub import d
                return d
            class C:
                import top
            if True: import pkg.sub
            x = 1; from pkg import nothing_here
            """);
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph,
            "main.py -> pkg/a.py", "main.py -> pkg/b.py", "main.py -> pkg/c.py", "main.py -> pkg/sub/d.py",
            "main.py -> top.py", "main.py -> pkg/sub/__init__.py", "main.py -> pkg/__init__.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 1); // sys
    }

    [Fact]
    public void Nothing_in_strings_comments_or_docstrings_counts()
    {
        using var repo = Tree("main.py", """"
            """Module docstring.
            import pkg.a
            from pkg import b
            """
            # import pkg.c
            s1 = 'import pkg.c'
            s2 = "from pkg import b"
            s3 = r'\' import top'
            s4 = b"import pkg.a"
            s5 = f"{1 + 2} import pkg.a {'x'} from pkg import b"
            s6 = rb"""
            import pkg.c
            """
            s7 = f'''
            from pkg import a {s1!r:>{10}}
            import top
            '''
            s8 = u'import pkg.c'; s9 = F"nested {f'{s1}'} import top"
            def f():
                '''Docstring
                import pkg.a
                '''
                return "\
            import pkg.b"
            x = (1,  # from pkg import c
                 2)
            y = 'it''s' "import top"
            from_ = 1
            important = 2
            print(from_, important)
            import pkg.sub.d
            """");
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> pkg/sub/d.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 0);
    }

    [Fact]
    public void Yield_from_and_raise_from_are_not_imports()
    {
        using var repo = Tree("main.py", "def g():\n    yield from range(3)\n    raise ValueError() from None\n");
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph);
        GraphAssert.UnresolvedIs(graph, "main.py", 0);
    }

    [Fact]
    public void Src_and_lib_layouts_are_source_roots()
    {
        using var repo = new TempRepository(
            ("src/app/__init__.py", ""),
            ("src/app/core.py", "from app import util\nimport helpers.text\n"),
            ("src/app/util.py", "import app.core\n"),
            ("lib/helpers/text.py", ""), // namespace package under lib/
            ("tests/test_core.py", "from app.core import run\nimport app.util\nimport helpers\nimport pytest\n"),
            ("setup.py", "import setuptools\n"));
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph,
            "src/app/core.py -> src/app/util.py", "src/app/core.py -> lib/helpers/text.py",
            "src/app/util.py -> src/app/core.py",
            "tests/test_core.py -> src/app/core.py", "tests/test_core.py -> src/app/util.py");
        GraphAssert.UnresolvedIs(graph, "tests/test_core.py", 1); // pytest; helpers is a namespace package in the repo
        GraphAssert.UnresolvedIs(graph, "setup.py", 1);
    }

    [Fact]
    public void A_src_directory_that_is_a_package_is_not_a_source_root()
    {
        using var repo = new TempRepository(
            ("src/__init__.py", ""),
            ("src/mod.py", ""),
            ("main.py", "import mod\nimport src.mod\n"));
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> src/mod.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 1);
    }

    [Fact]
    public void Namespace_packages_resolve_their_modules()
    {
        using var repo = new TempRepository(
            ("ns/inner/mod.py", ""),
            ("ns/other.py", ""),
            ("main.py", "import ns.inner.mod\nfrom ns import other\nfrom ns.inner import mod as m2\nimport ns\nfrom ns import absent\n"));
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> ns/inner/mod.py", "main.py -> ns/other.py");
        GraphAssert.UnresolvedIs(graph, "main.py", 0);
    }

    [Fact]
    public void Stub_files_are_modules_too()
    {
        using var repo = new TempRepository(("typed.pyi", "import impl\n"), ("impl.py", ""), ("main.py", "import typed\n"));
        var graph = BuildPython(repo);
        GraphAssert.EdgesAre(graph, "main.py -> typed.pyi", "typed.pyi -> impl.py");
    }

    [Fact]
    public void Parser_reports_levels_modules_and_names()
    {
        var imports = PythonImportParser.Parse("from ...a.b import (c as d,\n e,)\nimport x.y as z, w\nfrom . import *\n")
            .Select(i => i.ToString()).ToList();
        Assert.Equal(["from ...a.b import c, e", "import x.y", "import w", "from . import *"], imports);
    }

    [Fact]
    public void A_root_that_is_itself_a_package_resolves_its_own_absolute_imports()
    {
        using var repo = new TempRepository();
        var package = Path.Combine(repo.Root, "mypkg");
        FileTree.Write(package, ("__init__.py", "from mypkg.core import run\n"), ("core.py", "import mypkg.util\nimport mypkg\n"),
            ("util.py", "from mypkg import core, missing\n"));
        var graph = ImportGraphBuilder.Build(package);
        GraphAssert.EdgesAre(graph, "__init__.py -> core.py", "core.py -> util.py", "core.py -> __init__.py",
            "util.py -> core.py", "util.py -> __init__.py");
        Assert.Equal(0, graph.UnresolvedTotal);
    }
}
