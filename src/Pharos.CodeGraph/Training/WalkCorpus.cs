using System.Globalization;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// Walks as one flat array of node indices plus walk offsets: walk <c>i</c> is
/// <c>Tokens[Offsets[i] .. Offsets[i + 1]]</c>. One epoch's walks; the trainer reuses them for every epoch.
/// </summary>
public sealed class WalkCorpus
{
    private readonly int[] _tokens;
    private readonly int[] _offsets;

    /// <param name="tokens">Node indices; only the first <c>offsets[^1]</c> entries are used.</param>
    /// <param name="offsets">WalkCount + 1 non-decreasing entries starting at 0.</param>
    /// <param name="nodeCount">Every token must be in 0 .. nodeCount − 1.</param>
    public WalkCorpus(int[] tokens, int[] offsets, int nodeCount)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentOutOfRangeException.ThrowIfNegative(nodeCount);
        if (offsets.Length == 0 || offsets[0] != 0)
            throw new ArgumentException("Offsets must start with 0.", nameof(offsets));
        for (int i = 1; i < offsets.Length; i++)
            if (offsets[i] < offsets[i - 1])
                throw new ArgumentException("Offsets must not decrease.", nameof(offsets));
        if (offsets[^1] > tokens.Length)
            throw new ArgumentException("The last offset is past the end of the tokens.", nameof(offsets));
        for (int i = 0; i < offsets[^1]; i++)
            if ((uint)tokens[i] >= (uint)nodeCount)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token {tokens[i]} at {i} is not a node of 0..{nodeCount - 1}.");
        _tokens = tokens;
        _offsets = offsets;
        NodeCount = nodeCount;
    }

    /// <summary>Trusted constructor for the walker (no validation pass).</summary>
    internal WalkCorpus(int[] tokens, int[] offsets, int nodeCount, bool trusted)
    {
        _ = trusted;
        _tokens = tokens;
        _offsets = offsets;
        NodeCount = nodeCount;
    }

    /// <summary>A corpus from explicit walks (tests, or walks made elsewhere).</summary>
    public static WalkCorpus FromWalks(IEnumerable<IReadOnlyList<int>> walks, int nodeCount)
    {
        ArgumentNullException.ThrowIfNull(walks);
        var tokens = new List<int>();
        var offsets = new List<int> { 0 };
        foreach (var walk in walks)
        {
            tokens.AddRange(walk);
            offsets.Add(tokens.Count);
        }
        return new WalkCorpus(tokens.ToArray(), offsets.ToArray(), nodeCount);
    }

    public int NodeCount { get; }
    public int WalkCount => _offsets.Length - 1;
    public int TokenCount => _offsets[^1];
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, TokenCount);
    public ReadOnlySpan<int> Offsets => _offsets;
    public ReadOnlySpan<int> Walk(int index) => _tokens.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    internal int[] TokenArray => _tokens;
    internal int[] OffsetArray => _offsets;

    /// <summary>Time spent generating the walks (zero for a corpus built from given walks).</summary>
    public TimeSpan Elapsed { get; internal init; }

    /// <summary>One walk per line, node indices separated by single spaces (gensim's LineSentence format).</summary>
    public void WriteText(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> number = stackalloc char[11];
        for (int w = 0; w < WalkCount; w++)
        {
            var walk = Walk(w);
            for (int i = 0; i < walk.Length; i++)
            {
                if (i > 0) writer.Write(' ');
                walk[i].TryFormat(number, out int written, provider: CultureInfo.InvariantCulture);
                writer.Write(number[..written]);
            }
            writer.Write('\n');
        }
    }
}
