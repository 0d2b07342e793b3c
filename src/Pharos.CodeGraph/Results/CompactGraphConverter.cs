using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pharos.CodeGraph.Results;

/// <summary>
/// A <see cref="GraphDocument"/> inside a result bundle: the same document with each edge written as the indexes of
/// its two files in <c>nodes</c> instead of their paths. Paths repeated in every edge were two thirds of a large
/// repository's bundle (a 10,000-file result: 5.4 MB of header JSON); indexes make the bundle about half as large and
/// its header several times faster to read. Reading checks every index against the nodes there are.
/// </summary>
public sealed class CompactGraphConverter : JsonConverter<GraphDocument>
{
    private sealed record Compact(
        [property: JsonPropertyName("nodes")] IReadOnlyList<string> Nodes,
        [property: JsonPropertyName("edges")] IReadOnlyList<int[]> Edges,
        [property: JsonPropertyName("unresolved")] UnresolvedImports Unresolved,
        [property: JsonPropertyName("languages")] IReadOnlyDictionary<string, int> Languages,
        [property: JsonPropertyName("skipped_files")] int SkippedFiles,
        [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings,
        [property: JsonPropertyName("parse_seconds")] double ParseSeconds,
        [property: JsonPropertyName("wide_imports")] int WideImports = 0);

    public override GraphDocument Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var compact = JsonSerializer.Deserialize<Compact>(ref reader, options) ?? throw new JsonException("No graph.");
        if (compact.Nodes is null || compact.Edges is null) throw new JsonException("A graph has nodes and edges.");
        var nodes = compact.Nodes;
        var edges = new string[compact.Edges.Count][];
        for (var i = 0; i < edges.Length; i++)
        {
            var edge = compact.Edges[i];
            if (edge is not { Length: 2 } || (uint)edge[0] >= (uint)nodes.Count || (uint)edge[1] >= (uint)nodes.Count)
                throw new JsonException($"Edge {i} is not a pair of indexes into the {nodes.Count} nodes.");
            edges[i] = [nodes[edge[0]], nodes[edge[1]]];
        }
        return new GraphDocument(nodes, edges, compact.Unresolved, compact.Languages, compact.SkippedFiles,
            compact.Warnings ?? [], compact.ParseSeconds, compact.WideImports);
    }

    public override void Write(Utf8JsonWriter writer, GraphDocument value, JsonSerializerOptions options)
    {
        var index = new Dictionary<string, int>(value.Nodes.Count, StringComparer.Ordinal);
        for (var i = 0; i < value.Nodes.Count; i++) index.TryAdd(value.Nodes[i], i);
        var edges = value.Edges.Select(e => e is [var from, var to] && index.TryGetValue(from, out var f) && index.TryGetValue(to, out var t)
                ? new[] { f, t }
                : throw new InvalidDataException($"An edge names a file that is not a node: {string.Join(" -> ", e)}."))
            .ToArray();
        JsonSerializer.Serialize(writer, new Compact(value.Nodes, edges, value.Unresolved, value.Languages, value.SkippedFiles,
            value.Warnings, value.ParseSeconds, value.WideImports), options);
    }
}
