namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// JavaScript and TypeScript imports (<see cref="JavaScriptImportParser"/>). Relative specifiers (<c>./</c>,
/// <c>../</c>) resolve like bundlers and TypeScript do: the exact file; a <c>.js</c>-family ending swapped for its
/// TypeScript twin (<c>./x.js</c> → <c>x.ts</c>); the specifier plus one of <see cref="Extensions"/>; then
/// <c>index</c> plus one of them inside the directory. A specifier that lands on a non-source file (JSON, CSS)
/// names something in the repository but makes no edge. Bare specifiers (packages, <c>node:</c> builtins) and
/// relative ones that reach nothing count as unresolved, once per import.
/// </summary>
public sealed class JavaScriptAnalyzer : ILanguageAnalyzer
{
    /// <summary>Endings tried after a specifier that names no file as written, in order.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".json"];

    private static readonly (string From, string[] To)[] TypeScriptTwins =
    [
        (".js", [".ts", ".tsx", ".d.ts"]),
        (".jsx", [".tsx"]),
        (".mjs", [".mts", ".d.mts"]),
        (".cjs", [".cts", ".d.cts"]),
    ];

    public IReadOnlySet<string> Languages { get; } =
        new HashSet<string>(StringComparer.Ordinal) { LanguageNames.JavaScript, LanguageNames.TypeScript };

    public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(repository);
        var results = new FileImports[files.Count];
        Parallel.For(0, files.Count, i => results[i] = AnalyzeFile(files[i], repository));
        return results;
    }

    internal static FileImports AnalyzeFile(SourceFile file, RepositoryIndex repository)
    {
        var resolved = new HashSet<string>(StringComparer.Ordinal);
        var unresolved = 0;
        foreach (var specifier in JavaScriptImportParser.Parse(file.Text))
        {
            if (Resolve(specifier, file.Path, repository) is { } target) resolved.Add(target);
            else unresolved++;
        }
        resolved.Remove(file.Path);
        return new FileImports(file.Path, resolved.Order(StringComparer.Ordinal).ToList(), unresolved);
    }

    /// <summary>The repository file a specifier written in <paramref name="importer"/> names, or null.</summary>
    internal static string? Resolve(string specifier, string importer, RepositoryIndex repository)
    {
        if (!IsRelative(specifier)) return null;
        var cut = specifier.IndexOfAny(['?', '#']);
        if (cut >= 0) specifier = specifier[..cut];

        var slash = importer.LastIndexOf('/');
        var directory = slash < 0 ? "" : importer[..slash];
        var path = Normalize(directory, specifier);
        if (path is null) return null; // climbs above the repository root

        var namesDirectory = specifier.EndsWith('/') || specifier is "." or "..";
        if (!namesDirectory && path.Length > 0)
        {
            if (repository.Exists(path)) return path;
            foreach (var (from, to) in TypeScriptTwins)
            {
                if (!path.EndsWith(from, StringComparison.Ordinal)) continue;
                var stem = path[..^from.Length];
                foreach (var twin in to)
                {
                    if (repository.Exists(stem + twin)) return stem + twin;
                }
            }
            foreach (var extension in Extensions)
            {
                if (repository.Exists(path + extension)) return path + extension;
            }
        }
        var index = path.Length == 0 ? "index" : path + "/index";
        foreach (var extension in Extensions)
        {
            if (repository.Exists(index + extension)) return index + extension;
        }
        return null;
    }

    private static bool IsRelative(string specifier) =>
        specifier is "." or ".." || specifier.StartsWith("./", StringComparison.Ordinal) || specifier.StartsWith("../", StringComparison.Ordinal);

    /// <summary>Joins and folds '.' and '..'; null when the result would leave the repository.</summary>
    private static string? Normalize(string directory, string relative)
    {
        var parts = new List<string>(directory.Length == 0 ? [] : directory.Split('/'));
        foreach (var part in relative.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
            }
            else
            {
                parts.Add(part);
            }
        }
        return string.Join('/', parts);
    }
}
