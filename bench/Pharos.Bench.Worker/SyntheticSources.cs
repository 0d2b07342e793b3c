using System.Text;
using Pharos.Bench.Results;
using Pharos.CodeGraph.Graph;

namespace Pharos.Bench.Worker;

/// <summary>
/// A Python repository on disk whose import graph is <see cref="SyntheticRepository.Graph"/>'s: one file per node
/// (a src layout, <c>src/pharosbench/...</c>), whose import statements name exactly that node's edges (plain,
/// <c>from</c> and relative imports mixed) and its unresolved imports (standard-library modules), around a body of
/// ordinary Python (docstrings, classes, functions, f-strings, comprehensions, comments) of about the size of a real
/// module (networkx's average is 9 KB). Parsing it must give the graph back; the bench checks that it does.
/// </summary>
public static class SyntheticSources
{
    private static readonly string[] Stdlib =
    [
        "os", "sys", "re", "json", "math", "typing", "itertools", "functools", "collections", "dataclasses", "logging",
        "pathlib", "heapq", "warnings", "abc", "enum", "copy", "random", "textwrap", "contextlib",
    ];

    private static readonly string[] Words =
    [
        "node", "edge", "graph", "weight", "path", "cost", "flow", "label", "cache", "index", "value", "count", "item",
        "key", "level", "depth", "limit", "parent", "child", "source", "target", "result", "state", "order", "queue",
    ];

    /// <summary>Writes the files of <paramref name="graph"/> under <paramref name="root"/>; returns their total bytes.</summary>
    public static long Write(ImportGraph graph, string root, int seed)
    {
        var random = new Random(seed);
        var bytes = 0L;
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var path = graph.Nodes[i];
            var text = new StringBuilder();
            text.Append("\"\"\"").Append(Module(path)).Append(": ").Append(Sentence(random, 8)).Append("\n\n")
                .Append(Sentence(random, 14)).Append("\n\"\"\"\n\n");
            for (var u = 0; u < graph.UnresolvedByNode.GetValueOrDefault(path); u++)
                text.Append("import ").Append(Stdlib[(i + u) % Stdlib.Length]).Append('\n');
            foreach (var (_, to) in graph.Edges.Where(e => e.From == i))
                text.Append(Import(path, graph.Nodes[to], random)).Append('\n');
            text.Append('\n');
            Body(text, random);

            var file = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var content = Encoding.UTF8.GetBytes(text.ToString());
            File.WriteAllBytes(file, content);
            bytes += content.Length;
        }
        return bytes;
    }

    /// <summary>The dotted module of a file under <c>src/</c>: <c>src/a/b/c.py</c> is <c>a.b.c</c>, <c>src/a/b/__init__.py</c> is <c>a.b</c>.</summary>
    private static string Module(string path)
    {
        var module = path["src/".Length..^".py".Length];
        if (module.EndsWith("/__init__", StringComparison.Ordinal)) module = module[..^"/__init__".Length];
        return module.Replace('/', '.');
    }

    /// <summary>An import of <paramref name="target"/> from <paramref name="importer"/> that resolves to that file only.</summary>
    private static string Import(string importer, string target, Random random)
    {
        var module = Module(target);
        if (target.EndsWith("/__init__.py", StringComparison.Ordinal)) return $"import {module}";
        var dot = module.LastIndexOf('.');
        var (package, name) = (module[..dot], module[(dot + 1)..]);
        var importerPackage = Module(importer);
        if (!importer.EndsWith("/__init__.py", StringComparison.Ordinal)) importerPackage = importerPackage[..importerPackage.LastIndexOf('.')];
        return random.Next(3) switch
        {
            0 when package == importerPackage => $"from . import {name}",
            0 or 1 => $"from {package} import {name}",
            _ => $"import {module}",
        };
    }

    /// <summary>About 8 KB of ordinary Python: constants, classes with methods, functions.</summary>
    private static void Body(StringBuilder text, Random random)
    {
        var target = text.Length + 7_500 + random.Next(3_000);
        text.Append($"DEFAULT_{W(random).ToUpperInvariant()} = {random.Next(1000)}\n");
        text.Append($"_NAMES = ({string.Join(", ", Enumerable.Range(0, 5).Select(_ => $"\"{W(random)}\""))})\n\n\n");
        for (var n = 0; text.Length < target; n++)
        {
            if (n % 3 == 0) Class(text, random, n);
            else Function(text, random, n, "");
        }
    }

    private static void Class(StringBuilder text, Random random, int n)
    {
        var name = char.ToUpperInvariant(W(random)[0]) + W(random)[1..] + n;
        text.Append($"class {name}:\n");
        text.Append($"    \"\"\"{Sentence(random, 10)}\n\n    Attributes are set once, in ``__init__``.\n    \"\"\"\n\n");
        text.Append($"    def __init__(self, {W(random)}, {W(random)}_limit=None):\n");
        text.Append($"        self._items = []\n        self._limit = {W(random)}_limit or DEFAULT_LIMIT\n\n");
        for (var m = 0; m < 2 + random.Next(2); m++) Function(text, random, m, "    ");
        text.Append('\n');
    }

    private static void Function(StringBuilder text, Random random, int n, string indent)
    {
        var (a, b, c) = (W(random), W(random), W(random));
        var self = indent.Length > 0 ? "self, " : "";
        text.Append($"{indent}def {a}_{b}_{n}({self}{a}, {b}=None, *, {c}=0):\n");
        text.Append($"{indent}    \"\"\"{Sentence(random, 9)}\n\n{indent}    Returns the {c} of each {a}, or None.\n{indent}    \"\"\"\n");
        text.Append($"{indent}    # {Sentence(random, 7)}\n");
        text.Append($"{indent}    if {b} is None:\n{indent}        {b} = {{}}\n");
        text.Append($"{indent}    {c}s = [x for x in {a} if x not in {b}]\n");
        text.Append($"{indent}    for i, x in enumerate({c}s):\n");
        text.Append($"{indent}        if i > {c} and x:\n");
        text.Append($"{indent}            raise ValueError(f\"{a} {{x!r}} at {{i}} exceeds {{ {c}:>{random.Next(2, 9)} }}\")\n");
        text.Append($"{indent}        {b}[x] = {b}.get(x, 0) + {random.Next(1, 9)}\n");
        text.Append($"{indent}    return {{k: v for k, v in {b}.items() if v > {random.Next(5)}}} or None\n\n");
    }

    private static string W(Random random) => Words[random.Next(Words.Length)];

    private static string Sentence(Random random, int words)
    {
        var s = string.Join(' ', Enumerable.Range(0, words).Select(_ => W(random)));
        return char.ToUpperInvariant(s[0]) + s[1..] + ".";
    }
}
