using System.Text.Json;
using Pharos.CodeGraph.Results;

namespace Pharos.Testing.Results;

/// <summary>Result bundles as an edge would deliver them, with vectors from a seed, for the store and route tests.</summary>
public static class ResultSamples
{
    public static readonly DateTimeOffset Noon = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// <paramref name="files"/> files <c>pkg/mNNN.py</c>, each importing the one before, trained <paramref name="minutes"/>
    /// minutes after <see cref="Noon"/>; with context vectors as results have them now, or without (<paramref name="context"/>
    /// false) as results made before they were kept; of a task that named <paramref name="gitRef"/> (null: the default branch).
    /// </summary>
    public static ResultBundle Bundle(string repoUrl = "https://github.com/o/r", string commitSha = "c1", string taskId = "task-1",
        int minutes = 0, int files = 5, int dims = 8, int seed = 1, bool context = true, string? gitRef = null)
    {
        var random = new Random(seed);
        var nodes = Enumerable.Range(0, files).Select(i => $"pkg/m{i:D3}.py").ToArray();
        var edges = Enumerable.Range(1, Math.Max(0, files - 1)).Select(i => new[] { nodes[i], nodes[i - 1] }).ToArray();
        var graph = new GraphDocument(nodes, edges, new UnresolvedImports(1, new Dictionary<string, int> { ["pkg/m000.py"] = 1 }),
            new Dictionary<string, int> { ["python"] = files }, 0, [], 0.25);
        var vectors = Enumerable.Range(0, files * dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var parameters = JsonSerializer.SerializeToElement(new { epochs = 5, p = 1.0 }).EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.Clone());
        var contextVectors = context ? Enumerable.Range(0, files * dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray() : null;
        return new ResultBundle(new ResultHeader(repoUrl, commitSha, taskId, Noon.AddMinutes(minutes), dims, 0.5, 1.25, parameters, graph,
            HasContextVectors: context, Ref: gitRef), vectors, contextVectors);
    }
}
