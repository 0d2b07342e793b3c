namespace Pharos.CodeGraph.Graph;

/// <summary>
/// Files of a repository and the imports between them. <see cref="Nodes"/> are repository-relative, '/'-separated
/// paths in a stable (ordinal) order; <see cref="Edges"/> index into them, from importer to imported, deduplicated,
/// without self-loops.
/// </summary>
/// <param name="WideImports">Imports that named more files than <see cref="AnalysisLimits.MaxImportFanOut"/> (a
/// namespace or package shared by very many files), so made no edge; not counted as unresolved.</param>
public sealed record ImportGraph(
    IReadOnlyList<string> Nodes,
    IReadOnlyList<(int From, int To)> Edges,
    IReadOnlyDictionary<string, string> LanguageByNode,
    IReadOnlyDictionary<string, int> UnresolvedByNode,
    int SkippedFiles,
    IReadOnlyList<string> Warnings,
    int WideImports = 0)
{
    public int UnresolvedTotal => UnresolvedByNode.Values.Sum();

    /// <summary>Source files per language (see <see cref="LanguageNames"/>).</summary>
    public IReadOnlyDictionary<string, int> FilesByLanguage =>
        LanguageByNode.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Count());
}
