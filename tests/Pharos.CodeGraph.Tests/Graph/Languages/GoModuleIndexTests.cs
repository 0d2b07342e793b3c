using static Pharos.CodeGraph.Tests.Graph.Languages.AnalyzerFixture;

namespace Pharos.CodeGraph.Tests.Graph.Languages;

/// <summary>Go modules looked up by path (not one by one per import): the same choices, however many go.mod files.</summary>
public sealed class GoModuleIndexTests
{
    private static readonly GoAnalyzer Analyzer = new();

    [Fact]
    public void Of_two_modules_with_one_path_the_importer_s_own_wins_else_the_first_by_directory()
    {
        var result = Run(Analyzer,
            ("a/go.mod", "module example.com/m\n"), ("a/util/u.go", "package util\n"),
            ("b/go.mod", "module example.com/m\n"), ("b/util/u.go", "package util\n"), ("b/main.go", "package main\nimport \"example.com/m/util\"\n"),
            ("c/go.mod", "module example.com/c\n"), ("c/main.go", "package main\nimport \"example.com/m/util\"\n"));

        AssertImports(result, "b/main.go", 0, "b/util/u.go");
        AssertImports(result, "c/main.go", 0, "a/util/u.go");
    }

    [Fact]
    public void Of_two_std_modules_holding_a_package_the_first_by_directory_wins_and_paths_are_normalised()
    {
        var result = Run(Analyzer,
            ("go2/go.mod", "module std\n"), ("go2/fmt/p.go", "package fmt\n"), ("go2/os/o.go", "package os\n"),
            ("go1/go.mod", "module std\n"), ("go1/fmt/p.go", "package fmt\n"),
            ("app/go.mod", "module example.com/app\n"),
            ("app/main.go", "package main\nimport (\n\"fmt\"\n\"os/./\"\n\"net\"\n\"x/../../os\"\n)\n"));

        // "x/../../os" climbs out of every module: not a Go import path, unresolved like "net".
        AssertImports(result, "app/main.go", 2, "go1/fmt/p.go", "go2/os/o.go");
    }

    [Fact]
    public void Thousands_of_go_mod_files_resolve_each_import_to_its_longest_module()
    {
        var files = new List<(string Path, string Text)>();
        for (var i = 0; i < 3_000; i++)
            files.AddRange([($"m{i}/go.mod", $"module example.com/m{i}\n"), ($"m{i}/lib/l.go", "package lib\n")]);
        files.Add(("go.mod", "module example.com\n"));
        files.Add(("main.go", "package main\nimport (\n\"example.com/m2999/lib\"\n\"example.com/m0\"\n\"example.com/m7/lib\"\n)\n"));

        var result = Run(Analyzer, [.. files]);

        // example.com/m0 is m0's root, which holds no .go file: unresolved.
        AssertImports(result, "main.go", 1, "m2999/lib/l.go", "m7/lib/l.go");
    }
}
