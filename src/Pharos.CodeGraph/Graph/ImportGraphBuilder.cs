using Pharos.CodeGraph.Graph.Languages;

namespace Pharos.CodeGraph.Graph;

/// <summary>
/// Scans a repository and turns the imports its analyzers find into an <see cref="ImportGraph"/>, within
/// <see cref="AnalysisLimits"/> (bytes read, edges made, files one import may reach).
/// </summary>
public static class ImportGraphBuilder
{
    /// <summary>The analyzers of <see cref="AnalysisLimits.Default"/>, one per language family.</summary>
    public static IReadOnlyList<ILanguageAnalyzer> DefaultAnalyzers { get; } = Analyzers(AnalysisLimits.Default);

    /// <summary>One analyzer per language family, each deciding an import's fan-out by <paramref name="limits"/>.</summary>
    public static IReadOnlyList<ILanguageAnalyzer> Analyzers(AnalysisLimits limits) =>
    [
        new PythonAnalyzer(),
        new JavaScriptAnalyzer(),
        new CSharpAnalyzer(limits),
        new GoAnalyzer(limits),
        new JavaAnalyzer(limits),
    ];

    /// <exception cref="RepositoryTooLargeException">Past <see cref="AnalysisLimits.Default"/>.</exception>
    public static ImportGraph Build(string root, CancellationToken ct = default) => Build(root, AnalysisLimits.Default, ct);

    /// <exception cref="RepositoryTooLargeException">Past <paramref name="limits"/>: too many source bytes or edges.</exception>
    public static ImportGraph Build(string root, AnalysisLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return Build(root, Analyzers(limits), limits, ct);
    }

    public static ImportGraph Build(string root, IEnumerable<ILanguageAnalyzer> analyzers, CancellationToken ct = default) =>
        Build(root, analyzers, AnalysisLimits.Default, ct);

    /// <summary>The graph by <paramref name="analyzers"/>, whose own limits decide an import's fan-out; the bytes
    /// read and the edges made are held to <paramref name="limits"/>.</summary>
    public static ImportGraph Build(string root, IEnumerable<ILanguageAnalyzer> analyzers, AnalysisLimits limits, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(analyzers);
        var analyzerList = analyzers.ToList();
        var scan = RepositoryScanner.Scan(root, limits, ct);
        return Build(scan, analyzerList, limits, ct);
    }

    /// <summary>Assembles the graph of an existing scan (the scan's sources are the nodes).</summary>
    /// <exception cref="RepositoryTooLargeException">The imports make more than <see cref="AnalysisLimits.MaxEdges"/> edges.</exception>
    public static ImportGraph Build(RepositoryScan scan, IEnumerable<ILanguageAnalyzer> analyzers, AnalysisLimits limits,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(analyzers);
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();

        var nodes = scan.Sources.Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
        var indexOf = new Dictionary<string, int>(nodes.Count, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++) indexOf[nodes[i]] = i;

        var languageByNode = scan.Sources.ToDictionary(f => f.Path, f => f.Language, StringComparer.Ordinal);
        var unresolvedByNode = nodes.ToDictionary(n => n, _ => 0, StringComparer.Ordinal);
        var edges = new HashSet<(int From, int To)>();
        var wide = 0;
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
                wide += imports.Wide;
                foreach (var target in imports.Resolved)
                {
                    if (indexOf.TryGetValue(target, out var to) && to != from && edges.Add((from, to)) && edges.Count > limits.MaxEdges)
                        throw RepositoryTooLargeException.Edges(edges.Count, limits.MaxEdges);
                }
            }
        }

        var edgeList = edges.ToList();
        edgeList.Sort();
        return new ImportGraph(nodes, edgeList, languageByNode, unresolvedByNode, scan.SkippedFiles, warnings, wide);
    }
}
