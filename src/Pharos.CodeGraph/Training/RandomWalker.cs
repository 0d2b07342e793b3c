using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// Node2Vec's second-order biased random walks.
/// <para>
/// From the previous node <c>t</c> at the current node <c>v</c>, a neighbour <c>x</c> of <c>v</c> has weight
/// <c>1/p</c> if <c>x = t</c>, <c>1</c> if <c>x</c> is a neighbour of <c>t</c>, and <c>1/q</c> otherwise. The graph is
/// unweighted, so the first step (no <c>t</c>) is a uniform neighbour: a per-node alias table would be a table of
/// equal cells, so we pick an index directly, and for p = q = 1 every step takes that fast path.
/// </para>
/// <para>
/// Otherwise we do <b>not</b> precompute the reference implementation's per-edge alias tables (memory
/// O(Σ degree²), gigabytes on graphs with hubs, and a long set-up). Instead each step uses rejection sampling as
/// KnightKing does: draw a uniform neighbour <c>x</c> and accept it with probability <c>w(x) / max(1/p, 1, 1/q)</c>,
/// else draw again. This samples exactly the same distribution, needs O(1) extra memory, and costs one binary search
/// (O(log d)) per draw with an expected number of draws of max-weight / mean-weight, which is small for usual p, q.
/// </para>
/// <para>
/// Walks start from every node <see cref="Node2VecOptions.WalksPerNode"/> times, in a fresh shuffled order per round,
/// and stop early at a node without neighbours (an isolated node's walk is just that node). With a seed the walks are
/// deterministic for a given thread count: walk <c>i</c> is always made by the same thread, whose generator is seeded
/// from the seed and the thread number.
/// </para>
/// </summary>
public static class RandomWalker
{
    private const ulong ShufflePurpose = 0x5348554646UL;
    private const ulong WalkPurpose = 0x57414C4BUL;

    /// <summary>One epoch of walks (NodeCount × WalksPerNode of them) in one flat array.</summary>
    public static WalkCorpus Generate(TrainingGraph graph, Node2VecOptions options, CancellationToken ct = default) =>
        Generate(graph, options, options.ResolveSeed(), ct);

    internal static WalkCorpus Generate(TrainingGraph graph, Node2VecOptions options, long seed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options.Validate();
        var clock = Stopwatch.StartNew();
        int n = graph.NodeCount, length = options.WalkLength;
        long walkCountLong = (long)n * options.WalksPerNode;
        if (walkCountLong * length > Array.MaxLength)
            throw new ArgumentException(
                $"{n} nodes × {options.WalksPerNode} walks × {options.WalkLength} steps do not fit in one corpus; lower --walks-per-node or --walk-length.",
                nameof(options));
        int walkCount = (int)walkCountLong;

        // Walk i owns slots [i·length, (i+1)·length). Its start node goes in its first slot: no separate start list.
        var tokens = new int[walkCountLong * length];
        var shuffle = FastRandom.ForStream(seed, 0, ShufflePurpose);
        for (int round = 0; round < options.WalksPerNode; round++)
        {
            int baseWalk = round * n;
            for (int i = 0; i < n; i++) // inside-out Fisher–Yates
            {
                int j = shuffle.NextInt(i + 1);
                if (j != i) tokens[(long)(baseWalk + i) * length] = tokens[(long)(baseWalk + j) * length];
                tokens[(long)(baseWalk + j) * length] = i;
            }
        }

        var lengths = new int[walkCount];
        int threads = Math.Max(1, Math.Min(options.Threads, walkCount / 64));
        var sampler = new StepSampler(graph, options.P, options.Q);
        RunThreads(threads, ct, t =>
        {
            int from = (int)((long)walkCount * t / threads), to = (int)((long)walkCount * (t + 1) / threads);
            var rng = FastRandom.ForStream(seed, t, WalkPurpose);
            for (int w = from; w < to; w++)
            {
                if (((w - from) & 1023) == 1023) ct.ThrowIfCancellationRequested();
                lengths[w] = sampler.Walk(tokens.AsSpan((int)((long)w * length), length), ref rng);
            }
        });

        // Offsets; compact the slots in place when some walks stopped early (each moves left or stays).
        var offsets = new int[walkCount + 1];
        for (int w = 0; w < walkCount; w++) offsets[w + 1] = offsets[w] + lengths[w];
        if (offsets[walkCount] != tokens.Length)
            for (int w = 0; w < walkCount; w++)
                if (offsets[w] != w * length)
                    Array.Copy(tokens, w * length, tokens, offsets[w], lengths[w]);

        return new WalkCorpus(tokens, offsets, n, trusted: true) { Elapsed = clock.Elapsed };
    }

    /// <summary>Runs <paramref name="body"/>(thread) on dedicated threads (the caller's is thread 0) and rethrows the first failure.</summary>
    internal static void RunThreads(int threads, CancellationToken ct, Action<int> body)
    {
        if (threads == 1)
        {
            body(0);
            return;
        }
        var errors = new Exception?[threads];
        var workers = new Thread[threads - 1];
        for (int t = 1; t < threads; t++)
        {
            int id = t;
            workers[t - 1] = new Thread(() =>
            {
                try { body(id); }
                catch (Exception e) { errors[id] = e; }
            })
            { IsBackground = true, Name = $"node2vec-{id}" };
            workers[t - 1].Start();
        }
        try { body(0); }
        catch (Exception e) { errors[0] = e; }
        foreach (var worker in workers) worker.Join();
        ct.ThrowIfCancellationRequested();
        foreach (var error in errors)
            if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>The per-step sampling rule (see the class remarks). Immutable: shared by the walker threads.</summary>
    private sealed class StepSampler(TrainingGraph graph, double p, double q)
    {
        private readonly int[] _offsets = graph.Offsets;
        private readonly int[] _neighbours = graph.NeighbourArray;
        private readonly bool _uniform = p == 1.0 && q == 1.0;
        // Acceptance probabilities: weight / max weight, for "back to t", "neighbour of t", "farther".
        private readonly float _acceptReturn = (float)(1 / p / Math.Max(Math.Max(1 / p, 1), 1 / q));
        private readonly float _acceptNear = (float)(1 / Math.Max(Math.Max(1 / p, 1), 1 / q));
        private readonly float _acceptFar = (float)(1 / q / Math.Max(Math.Max(1 / p, 1), 1 / q));

        /// <summary>Fills <paramref name="walk"/> (whose first entry is the start) and returns the walk's length.</summary>
        public int Walk(Span<int> walk, ref FastRandom rng)
        {
            int current = walk[0];
            int len = 1;
            int previous = -1;
            while (len < walk.Length)
            {
                int start = _offsets[current], degree = _offsets[current + 1] - start;
                if (degree == 0) break;
                int next = _uniform || previous < 0
                    ? _neighbours[start + rng.NextInt(degree)]
                    : Biased(previous, start, degree, ref rng);
                walk[len++] = next;
                previous = current;
                current = next;
            }
            return len;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Biased(int previous, int start, int degree, ref FastRandom rng)
        {
            var previousNeighbours = _neighbours.AsSpan(_offsets[previous], _offsets[previous + 1] - _offsets[previous]);
            while (true)
            {
                int x = _neighbours[start + rng.NextInt(degree)];
                float accept = x == previous ? _acceptReturn
                    : previousNeighbours.BinarySearch(x) >= 0 ? _acceptNear
                    : _acceptFar;
                if (accept >= 1f || rng.NextFloat() < accept) return x;
            }
        }
    }
}
