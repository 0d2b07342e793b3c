using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pharos.CodeGraph.Results;

/// <summary>What a result says about itself: the repository, the commit, the run that made it, the training.</summary>
public sealed record ResultHeader(
    [property: JsonPropertyName("repo_url")] string RepoUrl,
    [property: JsonPropertyName("commit_sha")] string CommitSha,
    [property: JsonPropertyName("task_id")] string TaskId,
    [property: JsonPropertyName("trained_at")] DateTimeOffset TrainedAt,
    [property: JsonPropertyName("dims")] int Dims,
    [property: JsonPropertyName("final_loss")] double FinalLoss,
    [property: JsonPropertyName("train_seconds")] double TrainSeconds,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, JsonElement> Parameters,
    [property: JsonPropertyName("graph")] GraphDocument Graph,
    [property: JsonPropertyName("clone_seconds")] double? CloneSeconds = null,
    // Absent (false) in results made before the context vectors were kept: they are ranked by cosine.
    [property: JsonPropertyName("context_vectors")] bool HasContextVectors = false,
    // The branch, tag or commit the task asked for; absent: the remote's default branch (commit_sha is what it was).
    [property: JsonPropertyName("ref"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Ref = null)
{
    /// <summary>How many float32 matrices of nodes × dims follow the header: the vectors, then the context vectors.</summary>
    [JsonIgnore]
    public int Matrices => HasContextVectors ? 2 : 1;
}

/// <summary>
/// One repository's result as one self-describing file: the import graph, the training, and the vectors of its files
/// (row i is <c>Graph.Nodes[i]</c>). The edge writes it to its outbox, sends its bytes, and the cloud stores them as
/// they came. Layout: the 8 bytes <c>PHAROSR1</c>, the header's length (int32 little-endian), the header (UTF-8
/// JSON; its graph's edges as node indexes, see <see cref="CompactGraphConverter"/>), then nodes × dims float32
/// little-endian: the files' vectors, then, when the header says <c>context_vectors</c>, their context (output)
/// vectors in the same layout, which the link score needs (<see cref="SimilarFiles"/>). Reading checks every length
/// against the bytes there are, so a damaged or hostile file is refused, never half-read.
/// </summary>
public sealed record ResultBundle(ResultHeader Header, float[] Vectors, float[]? ContextVectors = null)
{
    public static ReadOnlySpan<byte> Magic => "PHAROSR1"u8;
    private const int PrefixLength = 12;
    /// <summary>Vectors of more dimensions than this are no embedding Pharos makes.</summary>
    public const int MaxDims = 4096;

    private static readonly JsonSerializerOptions Json = new() { MaxDepth = 16, Converters = { new CompactGraphConverter() } };

    public int NodeCount => Header.Graph.Nodes.Count;

    public ReadOnlySpan<float> Vector(int node) => Vectors.AsSpan(node * Header.Dims, Header.Dims);

    /// <summary>Writes the bundle to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        if (ContextVectors is not null && ContextVectors.Length != Vectors.Length)
            throw new InvalidDataException($"{ContextVectors.Length} context floats for {Vectors.Length} vector floats.");
        // The header says what follows it, whatever the caller put in it.
        var written = Header with { HasContextVectors = ContextVectors is not null };
        Validate(written, Vectors.Length + (ContextVectors?.Length ?? 0));
        var header = JsonSerializer.SerializeToUtf8Bytes(written, Json);
        Span<byte> prefix = stackalloc byte[PrefixLength];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteInt32LittleEndian(prefix[8..], header.Length);
        stream.Write(prefix);
        stream.Write(header);
        WriteFloats(stream, Vectors);
        if (ContextVectors is not null) WriteFloats(stream, ContextVectors);
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        WriteTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Reads a whole bundle; <paramref name="bytes"/> must be exactly one.</summary>
    /// <exception cref="InvalidDataException">Not a bundle, a length that does not add up, or a header that disagrees.</exception>
    public static ResultBundle Read(ReadOnlySpan<byte> bytes)
    {
        var header = ReadHeader(bytes, out var vectorsAt);
        var floats = bytes[vectorsAt..];
        var matrix = (long)header.Graph.Nodes.Count * header.Dims * sizeof(float);
        if (floats.Length != matrix * header.Matrices)
            throw new InvalidDataException($"The result holds {floats.Length} bytes of vectors; {header.Matrices} × {header.Graph.Nodes.Count} files × {header.Dims} dims need {matrix * header.Matrices}.");
        var vectors = ReadFloats(floats[..(int)matrix]);
        return new ResultBundle(header, vectors, header.HasContextVectors ? ReadFloats(floats[(int)matrix..]) : null);
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> floats)
    {
        var values = new float[floats.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian) floats.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(floats[(i * 4)..]);
        return values;
    }

    /// <summary>The header alone (listing results does not need their vectors); <paramref name="vectorsAt"/> is where they start.</summary>
    public static ResultHeader ReadHeader(ReadOnlySpan<byte> bytes, out int vectorsAt)
    {
        if (bytes.Length < PrefixLength || !bytes[..8].SequenceEqual(Magic))
            throw new InvalidDataException("Not a Pharos result (its first bytes are not PHAROSR1).");
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..PrefixLength]);
        if (length <= 0 || length > bytes.Length - PrefixLength)
            throw new InvalidDataException($"The result's header length {length} does not fit in its {bytes.Length} bytes.");
        ResultHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<ResultHeader>(bytes.Slice(PrefixLength, length), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The result's header is not valid: {e.Message}", e);
        }
        if (header is null) throw new InvalidDataException("The result's header is empty.");
        vectorsAt = PrefixLength + length;
        if ((bytes.Length - vectorsAt) % sizeof(float) != 0)
            throw new InvalidDataException($"The result's {bytes.Length - vectorsAt} bytes of vectors are not whole float32 values.");
        Validate(header, (long)(bytes.Length - vectorsAt) / sizeof(float));
        return header;
    }

    private static void Validate(ResultHeader header, long floats)
    {
        if (string.IsNullOrEmpty(header.RepoUrl) || string.IsNullOrEmpty(header.CommitSha) || string.IsNullOrEmpty(header.TaskId))
            throw new InvalidDataException("A result names its repository, commit and task.");
        if (header.Graph?.Nodes is null || header.Graph.Edges is null || header.Graph.Unresolved is null)
            throw new InvalidDataException("A result carries its import graph.");
        if (header.Dims is < 1 or > MaxDims)
            throw new InvalidDataException($"A result's dims must be 1..{MaxDims}; got {header.Dims}.");
        if (floats != (long)header.Graph.Nodes.Count * header.Dims * header.Matrices)
            throw new InvalidDataException($"{floats} floats for {header.Matrices} × {header.Graph.Nodes.Count} files × {header.Dims} dims.");
    }

    private static void WriteFloats(Stream stream, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        Span<byte> one = stackalloc byte[4];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(one, value);
            stream.Write(one);
        }
    }
}

public static class ResultBundles
{
    /// <summary>The bundle of one embedding run of <paramref name="repoUrl"/> at <paramref name="commitSha"/>.</summary>
    /// <param name="cloneSeconds">How long the clone took, when the run cloned (an edge's task); null for a local directory.</param>
    public static ResultBundle Of(string repoUrl, string commitSha, string taskId, DateTimeOffset trainedAt,
        Embedding.RepositoryEmbedding embedding, Training.Node2VecOptions options, double? cloneSeconds = null, string? gitRef = null)
    {
        var parameters = JsonSerializer.SerializeToElement(new
        {
            walk_length = options.WalkLength,
            context = options.Context,
            walks_per_node = options.WalksPerNode,
            p = options.P,
            q = options.Q,
            epochs = options.Epochs,
            negative = options.Negative,
            ns_exponent = options.NegativeExponent,
            seed = options.Seed,
            learning_rate = options.LearningRate,
            min_learning_rate = options.MinLearningRate,
        }).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
        var loss = embedding.Embeddings.FinalLoss;
        return new ResultBundle(
            new ResultHeader(repoUrl, commitSha, taskId, trainedAt, embedding.Embeddings.Dimensions,
                double.IsFinite(loss) ? loss : 0, Math.Round(embedding.TrainElapsed.TotalSeconds, 3), parameters,
                GraphDocument.Of(embedding.Graph, embedding.ParseElapsed), cloneSeconds is { } c ? Math.Round(c, 3) : null,
                Ref: gitRef),
            embedding.Embeddings.Vectors, embedding.Embeddings.ContextVectors);
    }
}

/// <summary>
/// A bundle's bytes with their header, read and checked once (<see cref="ResultBundle.ReadHeader"/>): what the cloud
/// stores and what the job record is made from, so that a large header is not parsed twice on the way.
/// </summary>
public sealed record CheckedBundle(ReadOnlyMemory<byte> Bytes, ResultHeader Header)
{
    /// <exception cref="InvalidDataException">The bytes are not a valid bundle.</exception>
    public static CheckedBundle Of(ReadOnlyMemory<byte> bytes) => new(bytes, ResultBundle.ReadHeader(bytes.Span, out _));
}
