using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Results;
using Pharos.CodeGraph.Training;

namespace Pharos.Bench.Results;

/// <summary>
/// A Python repository's result of any size, made without cloning or training one, through the worker's own types
/// (<see cref="ImportGraph"/>, <see cref="Embeddings"/>, <see cref="ResultBundles.Of"/>), so its bundle has the
/// real layout and about a real one's size. Everything follows from the seed.
/// <list type="bullet">
/// <item>Files: a package tree like a real project's (a top-level package, sub-packages two to four levels deep, about
/// 12 modules and an <c>__init__.py</c> per directory, tests beside the code), paths 40–60 characters.</item>
/// <item>Imports: about 4 per file (sympy has 7.8, the standard library 3.6, networkx 2), half within the file's own
/// package or its parent, half to a few hubs (a Zipf law over the files: <c>utils</c>, <c>core</c>, <c>__init__</c>);
/// one file in six has 1–3 unresolved imports.</item>
/// <item>Vectors (and context vectors, made the same way from another seed): files of a directory lie near that
/// directory's centre, which lies near its top-level package's, plus noise, so a file's nearest neighbours are mostly
/// its siblings, as in a trained embedding.</item>
/// </list>
/// </summary>
public static class SyntheticRepository
{
    private static readonly string[] Words =
    [
        "core", "utils", "io", "api", "models", "algorithms", "backends", "drawing", "parsing", "readwrite", "linalg",
        "sparse", "stats", "geometry", "plotting", "printing", "solvers", "series", "physics", "quantum", "matrices",
        "logic", "sets", "tensor", "polys", "functions", "simplify", "integrals", "calculus", "combinatorics", "codegen",
        "assumptions", "strategies", "vector", "crypto", "discrete", "holonomic", "interactive", "ntheory", "testing",
        "external", "unify", "categories", "diffgeom", "liealgebras", "multipledispatch", "sandbox", "concrete", "handlers",
        "storage", "network", "config", "cli", "server", "client", "schema", "cache", "auth", "events", "tasks",
    ];

    /// <summary>A trained repository of <paramref name="files"/> files, as the worker holds it before bundling it.</summary>
    public static RepositoryEmbedding Embedding(int files, int dims, int seed)
    {
        var graph = Graph(files, seed);
        // Context vectors of the same make (another seed): only their layout and size matter to the benches.
        var embeddings = new Embeddings(files, dims, Vectors(graph.Nodes, dims, seed))
        {
            ContextVectors = Vectors(graph.Nodes, dims, seed + 1),
            FinalLoss = 2.1734,
        };
        return new RepositoryEmbedding(graph, embeddings, TimeSpan.FromSeconds(files / 10_000.0));
    }

    /// <summary>Its result, as the worker bundles it for a task.</summary>
    public static ResultBundle Bundle(RepositoryEmbedding embedding, string repoUrl, string commitSha, string taskId) =>
        ResultBundles.Of(repoUrl, commitSha, taskId, DateTimeOffset.UtcNow, embedding,
            new Node2VecOptions { Dimensions = embedding.Embeddings.Dimensions, Seed = 42 });

    public static ImportGraph Graph(int files, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(files, 2);
        var random = new Random(seed);
        var directories = Directories(files, random);
        var paths = new List<string>(files);
        var perDirectory = new Dictionary<string, int>();
        // __init__.py first in every directory, then modules round-robin until the count is reached.
        foreach (var dir in directories)
        {
            if (paths.Count == files) break;
            paths.Add(dir + "/__init__.py");
        }
        for (var n = 0; paths.Count < files; n++)
        {
            var dir = directories[n % directories.Count];
            var index = perDirectory[dir] = perDirectory.GetValueOrDefault(dir) + 1;
            var word = Words[random.Next(Words.Length)];
            paths.Add(dir.EndsWith("/tests", StringComparison.Ordinal)
                ? $"{dir}/test_{word}_{index}.py"
                : $"{dir}/{word}_{Words[random.Next(Words.Length)]}_{index}.py");
        }
        // The graph builder's order: ordinal by path.
        paths.Sort(StringComparer.Ordinal);
        var nodes = paths.ToArray();
        var byDirectory = nodes.Select((path, i) => (Dir: DirectoryOf(path), i)).GroupBy(p => p.Dir)
            .ToDictionary(g => g.Key, g => g.Select(p => p.i).ToArray());

        // Hubs: a Zipf law over a random order of the files (s = 1).
        var hubOrder = Enumerable.Range(0, files).OrderBy(_ => random.Next()).ToArray();
        var zipf = new double[files];
        var total = 0.0;
        for (var r = 0; r < files; r++) zipf[r] = total += 1.0 / (r + 1);

        var edges = new HashSet<(int From, int To)>();
        var unresolved = new Dictionary<string, int>();
        for (var from = 0; from < files; from++)
        {
            var imports = Math.Min(30, Poisson(random, 4.0));
            var dir = DirectoryOf(nodes[from]);
            for (var i = 0; i < imports; i++)
            {
                int to;
                if (random.NextDouble() < 0.5)
                {
                    // Within the package, or its parent's.
                    var near = random.NextDouble() < 0.7 || !byDirectory.ContainsKey(DirectoryOf(dir)) ? dir : DirectoryOf(dir);
                    var siblings = byDirectory[near];
                    to = siblings[random.Next(siblings.Length)];
                }
                else
                {
                    var rank = Array.BinarySearch(zipf, random.NextDouble() * total);
                    to = hubOrder[Math.Min(rank < 0 ? ~rank : rank, files - 1)];
                }
                if (to != from) edges.Add((from, to));
            }
            if (random.Next(6) == 0) unresolved[nodes[from]] = 1 + random.Next(3);
        }
        return new ImportGraph(nodes, [.. edges.Order()], nodes.ToDictionary(n => n, _ => "python"), unresolved,
            SkippedFiles: files / 50, Warnings: []);
    }

    /// <summary>Directory centres near their top-level package's, files near their directory's, plus noise.</summary>
    public static float[] Vectors(IReadOnlyList<string> nodes, int dims, int seed)
    {
        var random = new Random(seed + 1);
        var centres = new Dictionary<string, float[]>();
        float[] Centre(string key, float[]? near, float spread)
        {
            if (centres.TryGetValue(key, out var c)) return c;
            c = new float[dims];
            for (var d = 0; d < dims; d++) c[d] = (near?[d] ?? 0f) + spread * Gaussian(random);
            return centres[key] = c;
        }
        var vectors = new float[nodes.Count * dims];
        for (var i = 0; i < nodes.Count; i++)
        {
            var dir = DirectoryOf(nodes[i]);
            var top = string.Join('/', dir.Split('/').Take(2));
            var centre = Centre(dir, Centre(top, null, 1f), 0.7f);
            for (var d = 0; d < dims; d++) vectors[i * dims + d] = centre[d] + 0.6f * Gaussian(random);
        }
        return vectors;
    }

    /// <summary>About files / 12 directories under <c>src/pharosbench</c>, each a child of an earlier one, at most four deep.</summary>
    private static List<string> Directories(int files, Random random)
    {
        var count = Math.Max(1, files / 13);
        var directories = new List<string> { "src/pharosbench" };
        var used = new HashSet<string>(directories);
        while (directories.Count < count)
        {
            var parent = directories[random.Next(directories.Count)];
            if (parent.Count(c => c == '/') >= 5 || parent.EndsWith("/tests", StringComparison.Ordinal)) continue;
            var name = random.Next(8) == 0 ? "tests" : Words[random.Next(Words.Length)];
            var child = $"{parent}/{name}";
            if (used.Add(child)) directories.Add(child);
        }
        return directories;
    }

    private static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    private static int Poisson(Random random, double mean)
    {
        // Knuth's method: fine for a small mean.
        var limit = Math.Exp(-mean);
        var k = 0;
        for (var p = random.NextDouble(); p > limit; p *= random.NextDouble()) k++;
        return k;
    }

    private static float Gaussian(Random random)
    {
        var u = 1.0 - random.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }
}
