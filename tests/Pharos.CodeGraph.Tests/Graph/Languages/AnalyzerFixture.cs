namespace Pharos.CodeGraph.Tests.Graph.Languages;

/// <summary>An in-memory repository: source files get their language from the ending, every other file (go.mod)
/// is only in the index, with its text.</summary>
internal static class AnalyzerFixture
{
    public static Dictionary<string, FileImports> Run(ILanguageAnalyzer analyzer, params (string Path, string Text)[] files)
    {
        var sources = new List<SourceFile>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, text) in files)
        {
            var dot = path.LastIndexOf('.');
            if (dot >= 0 && LanguageNames.ByExtension.TryGetValue(path[dot..], out var language) && analyzer.Languages.Contains(language))
                sources.Add(new SourceFile(path, language, text));
            else texts[path] = text;
        }
        var index = new RepositoryIndex(files.Select(f => f.Path), texts);
        var result = analyzer.Analyze(sources, index);
        Assert.Equal(sources.Count, result.Count);
        return result.ToDictionary(r => r.Path, StringComparer.Ordinal);
    }

    public static void AssertImports(Dictionary<string, FileImports> result, string path, int unresolved, params string[] resolved)
    {
        var imports = result[path];
        Assert.Equal(resolved.Order(StringComparer.Ordinal), imports.Resolved.Order(StringComparer.Ordinal));
        Assert.Equal(unresolved, imports.Unresolved);
    }

    /// <summary>Text that must never break a lexer: unterminated comments and literals of every kind, lone
    /// delimiters, control and surrogate characters.</summary>
    public static readonly string[] Garbage =
    [
        "", "\"", "'", "`", "/*", "/", "//", "@", "$", "#", "{", "}", "(", ")", "\\", "\"\"\"", "$$\"\"\"{", "@\"",
        "$\"{", "$\"{\"", "$@\"{(", "import", "import (", "import \"", "import static", "package", "using", "using static",
        "using X =", "namespace", "namespace A {", "}}}}", "namespace ;", "\ud800", "\udc00x", "\0\u0001",
        "import a.\n", "import .", "module", "\"\\", "'\\", "$\"{$\"{$\"{$\"{$\"{$\"{$\"{",
        string.Concat(Enumerable.Repeat("$\"{", 5000)), string.Concat(Enumerable.Repeat("namespace A{", 2000)),
    ];
}
