using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Pharos.CodeGraph.Training;

/// <summary>
/// Writes embeddings as <c>PREFIX.f32</c> (float32 little-endian, row-major, nodes × dims, no header) and
/// <c>PREFIX.json</c> (dims, node names in row order, the parameters in snake_case, final loss, timings).
/// Each file is written to a temporary name beside it and then renamed over the target, so a crash leaves either
/// the old file or the new one, never half of one. The .json is renamed last: its presence marks a complete pair.
/// </summary>
public static class EmbeddingWriter
{
    /// <summary>The file of the context (output) vectors beside PREFIX.f32, same layout.</summary>
    public const string ContextSuffix = ".context.f32";

    public static void Save(string prefix, IReadOnlyList<string> nodeNames, Embeddings embeddings, Node2VecOptions options,
        object? extraTimings = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ArgumentNullException.ThrowIfNull(nodeNames);
        ArgumentNullException.ThrowIfNull(embeddings);
        options.Validate();
        if (nodeNames.Count != embeddings.NodeCount)
            throw new ArgumentException($"{nodeNames.Count} node names for {embeddings.NodeCount} vectors.", nameof(nodeNames));
        if (embeddings.Dimensions != options.Dimensions)
            throw new ArgumentException($"The vectors have {embeddings.Dimensions} dimensions, the options {options.Dimensions}.", nameof(options));

        var directory = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);

        WriteAtomically(prefix + ".f32", stream => WriteFloats(stream, embeddings.Vectors));
        // The output vectors too, when known: link scores (LinkPrediction.LinkScore) need both.
        if (embeddings.ContextVectors is { } context) WriteAtomically(prefix + ContextSuffix, stream => WriteFloats(stream, context));
        WriteAtomically(prefix + ".json", stream => WriteJson(stream, nodeNames, embeddings, options, extraTimings));
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static void WriteFloats(Stream stream, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        var buffer = new byte[1 << 16];
        int used = 0;
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used), value);
            used += 4;
            if (used == buffer.Length)
            {
                stream.Write(buffer);
                used = 0;
            }
        }
        stream.Write(buffer.AsSpan(0, used));
    }

    private static void WriteJson(Stream stream, IReadOnlyList<string> nodeNames, Embeddings embeddings,
        Node2VecOptions options, object? extraTimings)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("dims", embeddings.Dimensions);
        json.WriteNumber("node_count", embeddings.NodeCount);
        json.WriteNumber("walk_length", options.WalkLength);
        json.WriteNumber("context", options.Context);
        json.WriteNumber("walks_per_node", options.WalksPerNode);
        json.WriteNumber("p", options.P);
        json.WriteNumber("q", options.Q);
        json.WriteNumber("epochs", options.Epochs);
        json.WriteNumber("negative", options.Negative);
        json.WriteNumber("ns_exponent", options.NegativeExponent);
        json.WriteNumber("threads", options.Threads);
        if (options.Seed is { } seed) json.WriteNumber("seed", seed);
        else json.WriteNull("seed");
        json.WriteNumber("learning_rate", options.LearningRate);
        json.WriteNumber("min_learning_rate", options.MinLearningRate);
        json.WriteNumber("final_loss", Finite(embeddings.FinalLoss));
        json.WriteStartArray("epoch_losses");
        foreach (double loss in embeddings.EpochLosses) json.WriteNumberValue(Finite(loss));
        json.WriteEndArray();
        json.WriteNumber("walks", embeddings.WalkCount);
        json.WriteNumber("corpus_tokens", embeddings.CorpusTokens);
        json.WriteNumber("trained_pairs", embeddings.TrainedPairs);
        json.WriteBoolean("context_vectors", embeddings.ContextVectors is not null);

        json.WriteStartObject("timings");
        json.WriteNumber("walks_seconds", embeddings.WalkElapsed.TotalSeconds);
        json.WriteNumber("train_seconds", embeddings.TrainElapsed.TotalSeconds);
        if (extraTimings is not null)
        {
            var extra = extraTimings as JsonElement? ?? JsonSerializer.SerializeToElement(extraTimings, extraTimings.GetType());
            if (extra.ValueKind != JsonValueKind.Object)
                throw new ArgumentException("Extra timings must serialize to a JSON object.", nameof(extraTimings));
            foreach (var property in extra.EnumerateObject())
                if (property.Name is not ("walks_seconds" or "train_seconds"))
                    property.WriteTo(json);
        }
        json.WriteEndObject();

        json.WriteStartArray("nodes");
        foreach (string name in nodeNames) json.WriteStringValue(name);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;
}

/// <summary>Embeddings read back from <see cref="EmbeddingWriter"/>'s files.</summary>
public sealed record StoredEmbeddings(IReadOnlyList<string> Nodes, Embeddings Embeddings, Node2VecOptions Options, JsonDocument Metadata);

public static class EmbeddingReader
{
    private static float[] ReadFloats(string path, int nodes, int dims)
    {
        var bytes = File.ReadAllBytes(path);
        long expected = (long)nodes * dims * sizeof(float);
        if (bytes.Length != expected)
            throw new InvalidDataException($"{path} has {bytes.Length} bytes; {nodes} nodes × {dims} dims need {expected}.");
        var vectors = new float[nodes * dims];
        for (int i = 0; i < vectors.Length; i++)
            vectors[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        return vectors;
    }

    /// <summary>PREFIX.json and PREFIX.f32, and PREFIX.context.f32 when the JSON says it was written.</summary>
    /// <exception cref="InvalidDataException">The files disagree (size, node count) or a field is missing.</exception>
    public static StoredEmbeddings Load(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var metadata = JsonDocument.Parse(File.ReadAllBytes(prefix + ".json"));
        var root = metadata.RootElement;
        try
        {
            int dims = root.GetProperty("dims").GetInt32();
            var nodes = root.GetProperty("nodes").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            var options = new Node2VecOptions
            {
                Dimensions = dims,
                WalkLength = root.GetProperty("walk_length").GetInt32(),
                Context = root.GetProperty("context").GetInt32(),
                WalksPerNode = root.GetProperty("walks_per_node").GetInt32(),
                P = root.GetProperty("p").GetDouble(),
                Q = root.GetProperty("q").GetDouble(),
                Epochs = root.GetProperty("epochs").GetInt32(),
                Negative = root.GetProperty("negative").GetInt32(),
                // Files of earlier releases were all trained with word2vec's exponent.
                NegativeExponent = root.TryGetProperty("ns_exponent", out var exponent) ? exponent.GetDouble() : Node2VecOptions.Word2VecNegativeExponent,
                Threads = root.GetProperty("threads").GetInt32(),
                Seed = root.GetProperty("seed").ValueKind == JsonValueKind.Null ? null : root.GetProperty("seed").GetInt32(),
                LearningRate = root.GetProperty("learning_rate").GetSingle(),
                MinLearningRate = root.TryGetProperty("min_learning_rate", out var min) ? min.GetSingle() : new Node2VecOptions().MinLearningRate,
            };

            var vectors = ReadFloats(prefix + ".f32", nodes.Length, dims);
            // Written from this release on (the context vectors); files of earlier ones have none.
            var hasContext = root.TryGetProperty("context_vectors", out var context) && context.ValueKind == JsonValueKind.True;
            var embeddings = new Embeddings(nodes.Length, dims, vectors)
            {
                ContextVectors = hasContext ? ReadFloats(prefix + EmbeddingWriter.ContextSuffix, nodes.Length, dims) : null,
                FinalLoss = root.GetProperty("final_loss").GetDouble(),
                EpochLosses = root.TryGetProperty("epoch_losses", out var losses) ? losses.EnumerateArray().Select(e => e.GetDouble()).ToArray() : [],
                WalkElapsed = TimeSpan.FromSeconds(root.GetProperty("timings").GetProperty("walks_seconds").GetDouble()),
                TrainElapsed = TimeSpan.FromSeconds(root.GetProperty("timings").GetProperty("train_seconds").GetDouble()),
            };
            return new StoredEmbeddings(nodes, embeddings, options, metadata);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            metadata.Dispose();
            throw new InvalidDataException($"{prefix}.json: {e.Message}", e);
        }
        catch
        {
            metadata.Dispose();
            throw;
        }
    }
}
