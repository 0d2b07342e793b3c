using System.Text.Json.Serialization;
using Pharos.CodeGraph.Graph;

namespace Pharos.CodeGraph.Results;

/// <summary>Unresolved imports: the total, and the count of each file that has any.</summary>
public sealed record UnresolvedImports(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("by_file")] IReadOnlyDictionary<string, int> ByFile);

/// <summary>
/// An import graph as `pharos graph --json` prints it and the cloud serves it: file paths, edges as
/// [importer, imported] path pairs, unresolved imports, files per language, and the wide imports that were cut
/// (named more files than the fan-out limit, so made no edge; 0 in documents written before there was a limit).
/// </summary>
public sealed record GraphDocument(
    [property: JsonPropertyName("nodes")] IReadOnlyList<string> Nodes,
    [property: JsonPropertyName("edges")] IReadOnlyList<string[]> Edges,
    [property: JsonPropertyName("unresolved")] UnresolvedImports Unresolved,
    [property: JsonPropertyName("languages")] IReadOnlyDictionary<string, int> Languages,
    [property: JsonPropertyName("skipped_files")] int SkippedFiles,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings,
    [property: JsonPropertyName("parse_seconds")] double ParseSeconds,
    [property: JsonPropertyName("wide_imports")] int WideImports = 0)
{
    public static GraphDocument Of(ImportGraph graph, TimeSpan parsed) => new(
        graph.Nodes,
        graph.Edges.Select(e => new[] { graph.Nodes[e.From], graph.Nodes[e.To] }).ToArray(),
        new UnresolvedImports(graph.UnresolvedTotal, graph.UnresolvedByNode.Where(p => p.Value > 0).ToDictionary()),
        graph.FilesByLanguage,
        graph.SkippedFiles,
        graph.Warnings,
        Math.Round(parsed.TotalSeconds, 3),
        graph.WideImports);
}
