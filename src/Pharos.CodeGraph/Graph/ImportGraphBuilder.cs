using Pharos.CodeGraph.Graph.Languages;

namespace Pharos.CodeGraph.Graph;

/// <summary>Scans a repository and turns the imports its analyzers find into an <see cref="ImportGraph"/>.</summary>
public static class ImportGraphBuilder
{
    /// <summary>The analyzers <see cref="Build(string, CancellationToken)"/> uses, one per language family.</summary>
    public static IReadOnlyList<ILanguageAnalyzer> DefaultAnalyzers { get; } =
    [
        new PythonAnalyzer(),
        new JavaScriptAnalyzer(),
        new CSharpAnalyzer(),
        new GoAnalyzer(),
        new JavaAnalyzer(),
    ];

    public static ImportGraph Build(string root, CancellationToken ct = default) => Build(root, DefaultAnalyzers, ct);

    public static ImportGraph Build(string root, IEnumerable<ILanguageAnalyzer> analyzers, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(analyzers);
        var analyzerList = analyzers.ToList();
        var scan = RepositoryScanner.Scan(root, ct);
        return Build(scan, analyzerList, ct);
    }

    /// <summary>Assembles the graph of an existing scan (the scan's sources are the nodes).</summary>
    public static ImportGraph Build(RepositoryScan scan, IEnumerable<ILanguageAnalyzer> analyzers, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(analyzers);

        var nodes = scan.Sources.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
        var indexOf = new Dictionary<string, int>(nodes.Count, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++) indexOf[nodes[i]] = i;

        var languageByNode = scan.Sources.ToDictionary(f => f.Path, f => f.Language, StringComparer.Ordinal);
        var unresolvedByNode = nodes.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var edges = new HashSet<(int From, int To)>();
        var warnings = new List<string>(scan.Warnings);

        var claimed = new Dictionary<string, ILanguageAnalyzer>(StringComparer.Ordinal);
        foreach (var analyzer in analyzers)
        {
            ct.ThrowIfCancellationRequested();
            foreach (var language in analyzer.Languages)
            {
                if (!claimed.TryAdd(language, analyzer))
                {
                    throw new ArgumentException(
                        $"Two analyzers take '{language}': {claimed[language].GetType().Name} and {analyzer.GetType().Name}.",
                        nameof(analyzers));
                }
            }

            var files = scan.Sources.Where(f => analyzer.Languages.Contains(f.Language)).ToList();
            if (files.Count == 0) continue;

            foreach (var imports in analyzer.Analyze(files, scan.Index))
            {
                if (!indexOf.TryGetValue(imports.Path, out var from) || !analyzer.Languages.Contains(languageByNode[imports.Path]))
                {
                    warnings.Add($"{analyzer.GetType().Name} reported imports for '{imports.Path}', which it was not given; ignored.");
                    continue;
                }
                unresolvedByNode[imports.Path] += imports.Unresolved;
                foreach (var target in imports.Resolved)
                {
                    if (indexOf.TryGetValue(target, out var to) && to != from) edges.Add((from, to));
                }
            }
        }

        var edgeList = edges.ToList();
        edgeList.Sort();
        return new ImportGraph(nodes, edgeList, languageByNode, unresolvedByNode, scan.SkippedFiles, warnings);
    }
}
