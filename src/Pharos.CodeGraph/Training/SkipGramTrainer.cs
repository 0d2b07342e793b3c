using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// Skip-gram with negative sampling over a walk corpus, as word2vec and gensim do it:
/// <list type="bullet">
/// <item>input vectors start uniform in (−1/dims, 1/dims) as gensim 4 does (word2vec.c: ±0.5/dims), output vectors at zero;</item>
/// <item>for each position the window is shrunk by b drawn uniformly from [0, Context), so the effective window is
/// Context − b (word2vec's and gensim's "reduced window", which weights near neighbours more); every other node in
/// that window is a positive pair;</item>
/// <item>negatives come from the corpus' unigram distribution raised to NegativeExponent (0 by default: every node
/// alike; word2vec's is 0.75); an alias table: O(1) per draw;
/// a negative equal to the positive target is skipped, as gensim does;</item>
/// <item>the learning rate falls linearly from LearningRate to MinLearningRate over all epochs' words;</item>
/// <item>a pair whose score is saturated (|in·out| ≥ 6, σ beyond 0.9975) is not updated, as in gensim: the rule that
/// keeps the link score (<see cref="LinkPrediction.LinkScore"/>) of hub files, which every walk visits, from being pushed
/// down by the many negatives they are drawn as (bench/README.md, "Link scores");</item>
/// <item>threads share the arrays without locks (Hogwild), each taking a fixed contiguous share of the walks.</item>
/// </list>
/// Unlike gensim's defaults there is no frequent-word down-sampling (PyTorch Geometric's Node2Vec has none either);
/// a like-for-like gensim run uses sample=0, min_count=1, sg=1, hs=0.
/// <para>
/// σ and −log σ come from tables (<see cref="SigmoidTableSize"/> cells over [−8, 8], clamped outside; −log σ continues
/// linearly below −8), so the loss term is one look-up on the dot product already computed. Measured on a 2,000-node
/// graph, one thread, 64 dims: tables 4.4–4.6 M pairs/s against 3.7–3.8 M with MathF.Exp/MathF.Log, the same loss to
/// three decimals. The dot product is an inlined <see cref="Vector{T}"/> loop: TensorPrimitives.Dot measured
/// 4.0–4.1 M pairs/s there (its length dispatch costs about as much as 64 multiply-adds). With one thread and a seed
/// the result is reproducible bit for bit.
/// </para>
/// </summary>
public static class SkipGramTrainer
{
    private const ulong InitPurpose = 0x494E4954UL;
    private const ulong TrainPurpose = 0x534B4950UL;
    private const int WordsPerChunk = 1024;

    internal const float MaxExp = 8f;
    /// <summary>|in·out| from which a pair is left as it is (gensim's MAX_EXP, 6: σ(6) = 0.9975).</summary>
    internal const float SaturatedAt = 6f;
    internal const int SigmoidTableSize = 4096;
    private static readonly float[] SigmoidTable = BuildTable(x => 1 / (1 + Math.Exp(-x)));
    /// <summary>−log σ(x) = log(1 + e^−x).</summary>
    private static readonly float[] NegLogSigmoidTable = BuildTable(x => Math.Log(1 + Math.Exp(-x)));

    /// <summary>For measurements only: exact MathF sigmoid and log instead of the tables.</summary>
    internal static bool UseExactSigmoid { get; set; }

    /// <summary>For measurements only: TensorPrimitives.Dot instead of the inlined <see cref="Dot"/>.</summary>
    internal static bool UseTensorPrimitivesDot { get; set; }

    private static float[] BuildTable(Func<double, double> f)
    {
        var table = new float[SigmoidTableSize + 1];
        for (int i = 0; i <= SigmoidTableSize; i++)
            table[i] = (float)f((i * 2.0 / SigmoidTableSize - 1) * MaxExp);
        return table;
    }

    public static Embeddings Train(WalkCorpus corpus, int nodeCount, Node2VecOptions options,
        Action<EpochProgress>? progress = null, CancellationToken ct = default) =>
        Train(corpus, nodeCount, options, options.ResolveSeed(), progress, ct);

    internal static unsafe Embeddings Train(WalkCorpus corpus, int nodeCount, Node2VecOptions options, long seed,
        Action<EpochProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        options.Validate();
        if (nodeCount < corpus.NodeCount)
            throw new ArgumentException($"The corpus has nodes up to {corpus.NodeCount - 1}, more than {nodeCount}.", nameof(nodeCount));
        ct.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();

        int dims = options.Dimensions;
        var input = new float[(long)nodeCount * dims];
        var output = new float[input.Length];
        var init = FastRandom.ForStream(seed, 0, InitPurpose);
        for (int i = 0; i < input.Length; i++) input[i] = (init.NextFloat() * 2 - 1) / dims;

        var negatives = NegativeSampler.FromCorpus(corpus, nodeCount, options.NegativeExponent);
        int[] tokens = corpus.TokenArray, offsets = corpus.OffsetArray;
        int walkCount = corpus.WalkCount;
        int threads = Math.Max(1, Math.Min(options.Threads, walkCount));
        var rngs = new FastRandom[threads];
        for (int t = 0; t < threads; t++) rngs[t] = FastRandom.ForStream(seed, t, TrainPurpose);

        long totalWords = (long)corpus.TokenCount * options.Epochs;
        long wordsDone = 0; // shared across threads, advanced a chunk at a time
        var losses = new List<double>();
        long trainedPairs = 0;
        var threadLoss = new double[threads];
        var threadPairs = new long[threads];

        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            Array.Clear(threadLoss);
            Array.Clear(threadPairs);
            RandomWalker.RunThreads(threads, ct, t =>
            {
                int from = (int)((long)walkCount * t / threads), to = (int)((long)walkCount * (t + 1) / threads);
                var worker = new Worker(input, output, dims, options, negatives, totalWords);
                // A stack copy, written back at the end: the generators of all threads sit side by side in one
                // array, and updating them there on every draw made the threads fight over that cache line.
                var rng = rngs[t];
                int pending = 0;
                float alpha = worker.Alpha(Volatile.Read(ref wordsDone));
                for (int w = from; w < to; w++)
                {
                    int start = offsets[w], length = offsets[w + 1] - start;
                    worker.TrainWalk(tokens.AsSpan(start, length), alpha, ref rng);
                    pending += length;
                    if (pending >= WordsPerChunk)
                    {
                        ct.ThrowIfCancellationRequested();
                        alpha = worker.Alpha(Interlocked.Add(ref wordsDone, pending));
                        pending = 0;
                    }
                }
                Interlocked.Add(ref wordsDone, pending);
                rngs[t] = rng;
                threadLoss[t] = worker.Loss;
                threadPairs[t] = worker.Pairs;
            });

            double lossSum = 0;
            long pairs = 0;
            for (int t = 0; t < threads; t++)
            {
                lossSum += threadLoss[t];
                pairs += threadPairs[t];
            }
            trainedPairs += pairs;
            double loss = pairs == 0 ? 0 : lossSum / pairs;
            losses.Add(loss);
            progress?.Invoke(new EpochProgress(epoch + 1, options.Epochs, loss, clock.Elapsed));
        }

        return new Embeddings(nodeCount, dims, input)
        {
            ContextVectors = output,
            FinalLoss = losses.Count == 0 ? 0 : losses[^1],
            EpochLosses = losses,
            TrainElapsed = clock.Elapsed,
            WalkElapsed = corpus.Elapsed,
            WalkCount = walkCount,
            CorpusTokens = corpus.TokenCount,
            TrainedPairs = trainedPairs,
        };
    }

    /// <summary>One thread's state for one epoch (internal: the update rule is tested pair by pair).</summary>
    internal sealed class Worker(float[] input, float[] output, int dims, Node2VecOptions options,
        NegativeSampler negatives, long totalWords)
    {
        private readonly float[] _gradient = new float[dims];
        private readonly int _context = options.Context;
        private readonly int _negative = options.Negative;
        private readonly float _lr = options.LearningRate, _minLr = options.MinLearningRate;

        public double Loss;
        public long Pairs;

        public float Alpha(long wordsDone) =>
            Math.Max(_minLr, _lr - (_lr - _minLr) * (float)((double)wordsDone / Math.Max(1, totalWords)));

        public void TrainWalk(ReadOnlySpan<int> walk, float alpha, ref FastRandom rng)
        {
            int length = walk.Length;
            if (length < 2) return;
            double loss = 0;
            long pairs = 0;
            for (int i = 0; i < length; i++)
            {
                int window = _context - rng.NextInt(_context); // 1 .. Context
                int lo = Math.Max(0, i - window), hi = Math.Min(length - 1, i + window);
                int centre = walk[i];
                for (int j = lo; j <= hi; j++)
                {
                    if (j == i) continue;
                    loss += TrainPair(walk[j], centre, alpha, ref rng);
                    pairs++;
                }
            }
            Loss += loss;
            Pairs += pairs;
        }

        /// <summary>
        /// gensim's fast_sentence_sg_neg: the context node's input vector predicts the centre node (label 1) and
        /// <c>Negative</c> sampled nodes (label 0). For each target one fused pass reads the output vector once,
        /// adding g·out to the input's gradient and g·in to the output vector; the input vector moves at the end.
        /// </summary>
        internal float TrainPair(int inputNode, int target, float alpha, ref FastRandom rng)
        {
            ref float inVector = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(input), (nint)inputNode * dims);
            ref float gradient = ref MemoryMarshal.GetArrayDataReference(_gradient);
            ref float outputs = ref MemoryMarshal.GetArrayDataReference(output);
            float loss = 0;
            bool updated = false;
            for (int k = 0; k <= _negative; k++)
            {
                int node;
                float label;
                if (k == 0)
                {
                    node = target;
                    label = 1;
                }
                else
                {
                    node = negatives.Sample(ref rng);
                    if (node == target) continue;
                    label = 0;
                }
                ref float outVector = ref Unsafe.Add(ref outputs, (nint)node * dims);
                float f = UseTensorPrimitivesDot
                    ? TensorPrimitives.Dot(MemoryMarshal.CreateReadOnlySpan(ref inVector, dims), MemoryMarshal.CreateReadOnlySpan(ref outVector, dims))
                    : Dot(ref inVector, ref outVector, dims);
                // For label 1 the loss is −log σ(f); for label 0 it is −log σ(−f).
                float sigma, term;
                if (UseExactSigmoid)
                {
                    float e = MathF.Exp(-Math.Clamp(f, -30f, 30f));
                    sigma = 1 / (1 + e);
                    term = label > 0 ? MathF.Log(1 + e) : MathF.Log(1 + 1 / e);
                }
                else
                {
                    sigma = Lookup(SigmoidTable, f);
                    term = Lookup(NegLogSigmoidTable, label > 0 ? f : -f, linearTail: true);
                }
                loss += term;
                // gensim's rule: a pair whose score is already saturated learns nothing more. Pushing such pairs on
                // (as a clamp would) mostly pushes apart nodes that do occur together, the hubs every walk visits.
                if (f <= -SaturatedAt || f >= SaturatedAt) continue;
                UpdateOutput((label - sigma) * alpha, ref inVector, ref outVector, ref gradient, dims, first: !updated);
                updated = true;
            }
            if (updated) Axpy(1, ref gradient, ref inVector, dims);
            return loss;
        }
    }

    /// <summary>x·y with <see cref="Vector{T}"/> lanes (measured faster than TensorPrimitives.Dot at 64 floats: its
    /// size dispatch costs about as much as the arithmetic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Dot(ref float x, ref float y, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                acc += Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i);
            sum = Vector.Sum(acc);
        }
        for (; i < n; i++) sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        return sum;
    }

    /// <summary>gradient (+)= g·out (assigned for the first target, so no clearing pass), then out += g·in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateOutput(float g, ref float inVector, ref float outVector, ref float gradient, int n, bool first)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var vg = new Vector<float>(g);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var o = Vector.LoadUnsafe(ref outVector, (nuint)i);
                var gradientPart = vg * o;
                if (!first) gradientPart += Vector.LoadUnsafe(ref gradient, (nuint)i);
                gradientPart.StoreUnsafe(ref gradient, (nuint)i);
                (o + vg * Vector.LoadUnsafe(ref inVector, (nuint)i)).StoreUnsafe(ref outVector, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float o = Unsafe.Add(ref outVector, i);
            Unsafe.Add(ref gradient, i) = g * o + (first ? 0 : Unsafe.Add(ref gradient, i));
            Unsafe.Add(ref outVector, i) = o + g * Unsafe.Add(ref inVector, i);
        }
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float a, ref float x, ref float y, int n)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                (Vector.LoadUnsafe(ref y, (nuint)i) + va * Vector.LoadUnsafe(ref x, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref y, i) += a * Unsafe.Add(ref x, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Lookup(float[] table, float x, bool linearTail = false)
    {
        if (x <= -MaxExp) return linearTail ? -x : table[0]; // −log σ(x) → −x for very negative x
        if (x >= MaxExp) return table[SigmoidTableSize];
        int i = (int)((x + MaxExp) * (SigmoidTableSize / (2 * MaxExp)) + 0.5f);
        return table[i];
    }
}

/// <summary>
/// Draws nodes from the corpus' unigram distribution to a power (0.75 as word2vec; 0: every node of the walks alike)
/// with Vose's alias method.
/// </summary>
internal sealed class NegativeSampler
{
    private readonly float[] _probability;
    private readonly int[] _alias;

    private NegativeSampler(float[] probability, int[] alias)
    {
        _probability = probability;
        _alias = alias;
    }

    public static NegativeSampler FromCorpus(WalkCorpus corpus, int nodeCount, double exponent)
    {
        var counts = new long[nodeCount];
        foreach (int token in corpus.Tokens) counts[token]++;
        var weights = new double[nodeCount];
        double total = 0;
        for (int i = 0; i < nodeCount; i++) total += weights[i] = counts[i] == 0 ? 0 : Math.Pow(counts[i], exponent);
        var probability = new float[Math.Max(1, nodeCount)];
        var alias = new int[probability.Length];
        if (total == 0)
        {
            Array.Fill(probability, 1f);
            return new NegativeSampler(probability, alias);
        }
        var scaled = new double[nodeCount];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = 0; i < nodeCount; i++)
        {
            scaled[i] = weights[i] * nodeCount / total;
            (scaled[i] < 1 ? small : large).Push(i);
        }
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            probability[s] = (float)scaled[s];
            alias[s] = l;
            scaled[l] -= 1 - scaled[s];
            (scaled[l] < 1 ? small : large).Push(l);
        }
        foreach (int i in large) { probability[i] = 1; alias[i] = i; }
        foreach (int i in small) { probability[i] = 1; alias[i] = i; } // rounding leftovers
        return new NegativeSampler(probability, alias);
    }

    /// <summary>One 64-bit draw: its high half picks the cell, its low 24 bits the coin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Sample(ref FastRandom rng)
    {
        ulong r = rng.NextUInt64();
        int cell = (int)(((r >> 32) * (ulong)(uint)_probability.Length) >> 32);
        float coin = (r & 0xFFFFFF) * (1.0f / (1 << 24));
        return coin < _probability[cell] ? cell : _alias[cell];
    }
}
