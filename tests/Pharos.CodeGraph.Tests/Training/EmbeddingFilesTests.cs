using System.Text.Json;

namespace Pharos.CodeGraph.Tests.Training;

public sealed class EmbeddingFilesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pharos-embeddings-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Saved_embeddings_read_back_equal()
    {
        var (graph, names) = TrainingGraph.ReadEdgeList(new StringReader("a\tb\nb\tc\nc\td\nd\ta\ne\tf\n"));
        var options = new Node2VecOptions { Dimensions = 8, Epochs = 2, Threads = 1, Seed = 3, Q = 0.5 };
        var embeddings = Node2VecTrainer.Train(graph, options);
        string prefix = Path.Combine(_directory, "nested", "emb");

        EmbeddingWriter.Save(prefix, names, embeddings, options, new { graph_seconds = 0.25, total_seconds = 1.5 });

        Assert.Equal(6L * 8 * 4, new FileInfo(prefix + ".f32").Length);
        Assert.Equal(["emb.context.f32", "emb.f32", "emb.json"], Directory.GetFiles(Path.GetDirectoryName(prefix)!).Select(Path.GetFileName).Order());
        var stored = EmbeddingReader.Load(prefix);
        using (stored.Metadata)
        {
            Assert.Equal(names, stored.Nodes);
            Assert.Equal(embeddings.Vectors, stored.Embeddings.Vectors);
            Assert.Equal(embeddings.ContextVectors, stored.Embeddings.ContextVectors);
            Assert.Equal(embeddings.FinalLoss, stored.Embeddings.FinalLoss);
            Assert.Equal(options, stored.Options);

            var root = stored.Metadata.RootElement;
            foreach (var field in new[] { "dims", "nodes", "walk_length", "context", "walks_per_node", "p", "q", "epochs",
                         "negative", "threads", "seed", "learning_rate", "final_loss", "timings" })
                Assert.True(root.TryGetProperty(field, out _), field);
            var timings = root.GetProperty("timings");
            Assert.Equal(JsonValueKind.Number, timings.GetProperty("walks_seconds").ValueKind);
            Assert.Equal(JsonValueKind.Number, timings.GetProperty("train_seconds").ValueKind);
            Assert.Equal(0.25, timings.GetProperty("graph_seconds").GetDouble());
            Assert.Equal(8, root.GetProperty("dims").GetInt32());
        }
    }

    [Fact]
    public void The_vectors_are_little_endian_row_major_floats()
    {
        var embeddings = new Embeddings(2, 2, [1f, -2f, 0.5f, 3f]);
        string prefix = Path.Combine(_directory, "tiny");
        EmbeddingWriter.Save(prefix, ["x", "y"], embeddings, new Node2VecOptions { Dimensions = 2 });
        var bytes = File.ReadAllBytes(prefix + ".f32");
        Assert.Equal(16, bytes.Length);
        Assert.Equal(-2f, BitConverter.ToSingle([bytes[4], bytes[5], bytes[6], bytes[7]]));
        Assert.Equal(0x3F800000, bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24); // 1.0f, little-endian
    }

    [Fact]
    public void Saving_over_existing_files_replaces_them()
    {
        string prefix = Path.Combine(_directory, "again");
        var options = new Node2VecOptions { Dimensions = 2 };
        EmbeddingWriter.Save(prefix, ["x"], new Embeddings(1, 2, [1f, 2f]), options);
        EmbeddingWriter.Save(prefix, ["x", "y"], new Embeddings(2, 2, [3f, 4f, 5f, 6f]), options);
        var stored = EmbeddingReader.Load(prefix);
        stored.Metadata.Dispose();
        Assert.Equal([3f, 4f, 5f, 6f], stored.Embeddings.Vectors);
        Assert.Equal(2, Directory.GetFiles(_directory).Length);
    }

    [Fact]
    public void Mismatched_names_and_vectors_are_rejected() =>
        Assert.Throws<ArgumentException>(() => EmbeddingWriter.Save(Path.Combine(_directory, "bad"), ["x"],
            new Embeddings(2, 2, new float[4]), new Node2VecOptions { Dimensions = 2 }));

    [Fact]
    public void A_truncated_vector_file_is_reported()
    {
        string prefix = Path.Combine(_directory, "cut");
        EmbeddingWriter.Save(prefix, ["x", "y"], new Embeddings(2, 2, new float[4]), new Node2VecOptions { Dimensions = 2 });
        File.WriteAllBytes(prefix + ".f32", new byte[12]);
        Assert.Throws<InvalidDataException>(() => EmbeddingReader.Load(prefix));
    }
}
