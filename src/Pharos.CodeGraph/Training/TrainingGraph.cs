using System.Globalization;
using System.Runtime.CompilerServices;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// An undirected, unweighted graph in compressed sparse row form, as the walker wants it: every edge in both
/// directions, no duplicates, no self-loops, and each node's neighbours sorted so that "is x a neighbour of t"
/// is a binary search (O(log d)).
/// </summary>
public sealed class TrainingGraph
{
    private readonly int[] _offsets;   // NodeCount + 1 entries
    private readonly int[] _neighbours; // 2 × EdgeCount entries

    /// <param name="nodeCount">Nodes are 0 .. nodeCount − 1.</param>
    /// <param name="edges">Directed or undirected pairs; duplicates (in either direction) and self-loops are dropped.</param>
    public TrainingGraph(int nodeCount, IEnumerable<(int From, int To)> edges)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeCount);
        ArgumentNullException.ThrowIfNull(edges);
        var list = edges as IReadOnlyCollection<(int From, int To)> ?? edges.ToList();

        var degree = new int[nodeCount + 1];
        long total = 0;
        foreach (var (from, to) in list)
        {
            if ((uint)from >= (uint)nodeCount || (uint)to >= (uint)nodeCount)
                throw new ArgumentOutOfRangeException(nameof(edges), $"Edge ({from}, {to}) names a node outside 0..{nodeCount - 1}.");
            if (from == to) continue;
            degree[from]++;
            degree[to]++;
            total += 2;
        }
        if (total > Array.MaxLength)
            throw new ArgumentException($"Too many edges ({total / 2}) for one graph.", nameof(edges));

        // Fill with duplicates, then sort and compact each node's slice.
        var start = new int[nodeCount + 1];
        for (int v = 0; v < nodeCount; v++) start[v + 1] = start[v] + degree[v];
        var fill = (int[])start.Clone();
        var raw = new int[total];
        foreach (var (from, to) in list)
        {
            if (from == to) continue;
            raw[fill[from]++] = to;
            raw[fill[to]++] = from;
        }

        _offsets = new int[nodeCount + 1];
        int write = 0;
        for (int v = 0; v < nodeCount; v++)
        {
            _offsets[v] = write;
            var slice = raw.AsSpan(start[v], start[v + 1] - start[v]);
            slice.Sort();
            int previous = -1;
            foreach (int x in slice)
            {
                if (x == previous) continue;
                raw[write++] = x; // write ≤ read position: compaction in place is safe
                previous = x;
            }
        }
        _offsets[nodeCount] = write;
        _neighbours = write == raw.Length ? raw : raw.AsSpan(0, write).ToArray();
        NodeCount = nodeCount;
    }

    public int NodeCount { get; }

    /// <summary>Undirected edges (each counted once).</summary>
    public int EdgeCount => _neighbours.Length / 2;

    public int MaxDegree
    {
        get
        {
            int max = 0;
            for (int v = 0; v < NodeCount; v++) max = Math.Max(max, Degree(v));
            return max;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Degree(int node) => _offsets[node + 1] - _offsets[node];

    /// <summary>The node's neighbours in ascending order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<int> Neighbours(int node) =>
        _neighbours.AsSpan(_offsets[node], _offsets[node + 1] - _offsets[node]);

    /// <summary>Whether an edge joins <paramref name="a"/> and <paramref name="b"/>: a binary search, O(log degree).</summary>
    public bool HasEdge(int a, int b) => Neighbours(a).BinarySearch(b) >= 0;

    internal int[] Offsets => _offsets;
    internal int[] NeighbourArray => _neighbours;

    /// <summary>Every undirected edge once, as (smaller, larger).</summary>
    public IEnumerable<(int From, int To)> Edges()
    {
        for (int v = 0; v < NodeCount; v++)
            for (int i = _offsets[v]; i < _offsets[v + 1]; i++)
                if (_neighbours[i] > v) yield return (v, _neighbours[i]);
    }

    /// <summary>
    /// Reads tab-separated <c>from&lt;TAB&gt;to</c> lines whose fields are node names. Blank lines and lines starting
    /// with '#' are skipped. Nodes are numbered in the order their names are first seen.
    /// </summary>
    /// <exception cref="FormatException">A line without exactly two non-empty fields; the message names its line number.</exception>
    public static EdgeListGraph ReadEdgeList(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var names = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var edges = new List<(int, int)>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var trimmed = line.AsSpan().Trim();
            if (trimmed.IsEmpty || trimmed[0] == '#') continue;
            var text = line.TrimEnd('\r', '\n');
            int tab = text.IndexOf('\t');
            if (tab < 0 || text.IndexOf('\t', tab + 1) >= 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                    $"Edge list line {lineNumber}: expected 'from<TAB>to', got '{Shorten(text)}'."));
            string from = text[..tab].Trim(), to = text[(tab + 1)..].Trim();
            if (from.Length == 0 || to.Length == 0)
                throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                    $"Edge list line {lineNumber}: a node name is empty in '{Shorten(text)}'."));
            edges.Add((Intern(from), Intern(to)));
        }
        return new EdgeListGraph(new TrainingGraph(names.Count, edges), names);

        int Intern(string name)
        {
            if (!index.TryGetValue(name, out int i))
            {
                i = names.Count;
                index.Add(name, i);
                names.Add(name);
            }
            return i;
        }

        static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";
    }
}

/// <summary>A graph read from an edge list with its node names (index = node number).</summary>
public sealed record EdgeListGraph(TrainingGraph Graph, IReadOnlyList<string> NodeNames);
