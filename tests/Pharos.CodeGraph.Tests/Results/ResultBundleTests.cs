using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.CodeGraph.Results;

namespace Pharos.CodeGraph.Tests.Results;

public sealed class ResultBundleTests
{
    /// <summary>A bundle of <paramref name="files"/> files and <paramref name="dims"/> dims, the vectors from <paramref name="seed"/>.</summary>
    internal static ResultBundle Sample(int files, int dims, int seed = 1, bool context = false)
    {
        var random = new Random(seed);
        var nodes = Enumerable.Range(0, files).Select(i => $"pkg/m{i:D3}.py").ToArray();
        var edges = Enumerable.Range(1, Math.Max(0, files - 1)).Select(i => new[] { nodes[i], nodes[i - 1] }).ToArray();
        var graph = new GraphDocument(nodes, edges, new UnresolvedImports(3, new Dictionary<string, int> { ["pkg/m000.py"] = 3 }),
            new Dictionary<string, int> { ["python"] = files }, 0, [], 0.25);
        var vectors = Enumerable.Range(0, files * dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var parameters = JsonSerializer.SerializeToElement(new { epochs = 5, p = 1.0 }).EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.Clone());
        var contextVectors = context ? Enumerable.Range(0, files * dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray() : null;
        return new ResultBundle(new ResultHeader("https://github.com/o/r", "abc123", "task-1",
            new DateTimeOffset(2026, 12, 4, 5, 0, 0, TimeSpan.Zero), dims, 0.5, 1.25, parameters, graph), vectors, contextVectors);
    }

    [Property(MaxTest = 60)]
    public Property Reading_what_was_written_gives_the_same_bundle() =>
        Prop.ForAll(Gen.Choose(0, 30).ToArbitrary(), Gen.Choose(1, 16).ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(),
            (files, dims, seed) =>
            {
                var bundle = Sample(files, dims, seed, context: seed % 2 == 0);
                var read = ResultBundle.Read(bundle.ToBytes());
                return read.Header.RepoUrl == bundle.Header.RepoUrl
                    && read.Header.TrainedAt == bundle.Header.TrainedAt
                    && read.Header.Graph.Nodes.SequenceEqual(bundle.Header.Graph.Nodes)
                    && read.Header.Graph.Edges.Select(e => string.Join('>', e)).SequenceEqual(bundle.Header.Graph.Edges.Select(e => string.Join('>', e)))
                    && read.Header.Parameters["epochs"].GetInt32() == 5
                    && read.Vectors.AsSpan().SequenceEqual(bundle.Vectors)
                    && read.Header.HasContextVectors == (bundle.ContextVectors is not null)
                    && (read.ContextVectors ?? []).AsSpan().SequenceEqual(bundle.ContextVectors ?? []);
            });

    [Property(MaxTest = 60)]
    public Property Any_cut_or_extra_byte_is_refused_not_half_read() =>
        Prop.ForAll(Gen.Choose(1, 20).ToArbitrary(), Gen.Choose(-400, 3).ToArbitrary(), (files, change) =>
        {
            var bytes = Sample(files, 4, context: change % 2 == 0).ToBytes();
            if (change == 0) return true;
            var damaged = change > 0 ? [.. bytes, .. new byte[change]] : bytes[..Math.Max(0, bytes.Length + change)];
            try
            {
                ResultBundle.Read(damaged);
                return false;
            }
            catch (InvalidDataException)
            {
                return true;
            }
        });

    [Fact]
    public void Wide_imports_travel_in_the_bundle_and_a_bundle_written_before_them_reads_as_none()
    {
        var bundle = Sample(3, 4);
        var wide = bundle with { Header = bundle.Header with { Graph = bundle.Header.Graph with { WideImports = 7 } } };
        var bytes = wide.ToBytes();
        Assert.Equal(7, ResultBundle.Read(bytes).Header.Graph.WideImports);

        var length = BitConverter.ToInt32(bytes, 8);
        var header = System.Text.Json.Nodes.JsonNode.Parse(bytes.AsSpan(12, length))!.AsObject();
        Assert.True(header["graph"]!.AsObject().Remove("wide_imports"));
        var older = Encoding.UTF8.GetBytes(header.ToJsonString());
        byte[] written = [.. bytes[..8], .. BitConverter.GetBytes(older.Length), .. older, .. bytes[(12 + length)..]];
        Assert.Equal(0, ResultBundle.Read(written).Header.Graph.WideImports);
    }

    [Fact]
    public void The_header_says_context_vectors_only_when_they_follow_and_a_bundle_written_before_them_reads_without()
    {
        var bundle = Sample(4, 3, context: true);
        // Whatever the caller's header says, the written one says what follows it.
        var claimed = ResultBundle.Read((bundle with { Header = bundle.Header with { HasContextVectors = false } }).ToBytes());
        Assert.True(claimed.Header.HasContextVectors);
        Assert.Equal(bundle.ContextVectors, claimed.ContextVectors);
        var without = ResultBundle.Read((Sample(4, 3) with { Header = bundle.Header with { HasContextVectors = true } }).ToBytes());
        Assert.False(without.Header.HasContextVectors);
        Assert.Null(without.ContextVectors);

        // A bundle of an earlier release: no context_vectors in its header, one matrix after it.
        var bytes = Sample(4, 3).ToBytes();
        var header = Encoding.UTF8.GetString(bytes, 12, BitConverter.ToInt32(bytes, 8));
        Assert.DoesNotContain("Matrices", header);
        var older = Encoding.UTF8.GetBytes(header.Replace(",\"context_vectors\":false", "", StringComparison.Ordinal));
        Assert.NotEqual(header.Length, older.Length);
        byte[] written = [.. bytes[..8], .. BitConverter.GetBytes(older.Length), .. older, .. bytes[(12 + BitConverter.ToInt32(bytes, 8))..]];
        Assert.Null(ResultBundle.Read(written).ContextVectors);

        // A header that says context vectors follow them, over one matrix, is refused, not half-read.
        var lying = Encoding.UTF8.GetBytes(header.Replace("\"context_vectors\":false", "\"context_vectors\":true", StringComparison.Ordinal));
        byte[] cut = [.. bytes[..8], .. BitConverter.GetBytes(lying.Length), .. lying, .. bytes[(12 + BitConverter.ToInt32(bytes, 8))..]];
        Assert.Throws<InvalidDataException>(() => ResultBundle.Read(cut));
    }

    [Fact]
    public void A_foreign_file_an_oversized_header_length_or_impossible_dims_is_refused_with_the_reason()
    {
        var bytes = Sample(3, 4).ToBytes();
        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        Assert.Contains("PHAROSR1", Assert.Throws<InvalidDataException>(() => ResultBundle.Read(foreign)).Message);

        var longHeader = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(longHeader.AsSpan(8), int.MaxValue);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => ResultBundle.Read(longHeader)).Message);

        var bundle = Sample(3, 4);
        var zeroDims = bundle with { Header = bundle.Header with { Dims = 0 } };
        Assert.Throws<InvalidDataException>(() => zeroDims.ToBytes());

        var notJson = (byte[])bytes.Clone();
        notJson[12] = (byte)'x';
        Assert.Contains("header is not valid", Assert.Throws<InvalidDataException>(() => ResultBundle.Read(notJson)).Message);
    }

    [Fact]
    public void Edges_are_written_as_indexes_into_the_nodes_and_an_index_out_of_range_is_refused()
    {
        var bytes = Sample(3, 4).ToBytes();
        var header = Encoding.UTF8.GetString(bytes, 12, BitConverter.ToInt32(bytes, 8));
        Assert.Contains("\"edges\":[[1,0],[2,1]]", header);

        // The same length, so only the index changes: 3 is past the last of the three nodes.
        var at = bytes.AsSpan().IndexOf("[2,1]"u8);
        var beyond = (byte[])bytes.Clone();
        beyond[at + 1] = (byte)'3';
        Assert.Contains("not a pair of indexes", Assert.Throws<InvalidDataException>(() => ResultBundle.Read(beyond)).Message);
    }

    [Fact]
    public void The_header_reads_without_the_vectors_and_says_where_they_start()
    {
        var bundle = Sample(5, 3);
        var bytes = bundle.ToBytes();
        var header = ResultBundle.ReadHeader(bytes, out var at);
        Assert.Equal(5, header.Graph.Nodes.Count);
        Assert.Equal(bytes.Length - 5 * 3 * 4, at);
        Assert.Equal("PHAROSR1", Encoding.ASCII.GetString(bytes, 0, 8));
    }
}

public sealed class SimilarFilesTests
{
    [Property(MaxTest = 80)]
    public Property The_top_k_are_the_k_highest_cosines_of_a_plain_scan_the_file_itself_left_out() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                var random = new Random(seed);
                var (rows, dims, k) = (random.Next(2, 41), random.Next(1, 9), random.Next(1, 101));
                // Few distinct values, so that ties and zero vectors happen.
                var vectors = Enumerable.Range(0, rows * dims).Select(_ => (float)random.Next(-2, 3)).ToArray();
                var node = random.Next(rows);
                var expected = Enumerable.Range(0, rows).Where(r => r != node)
                    .Select(r => (Row: r, Score: Cosine(vectors, dims, node, r)))
                    .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(k).ToArray();
                var actual = SimilarFiles.Top(vectors, null, dims, node, k);
                // Equal cosines may come out a rounding apart, so rows of equal scores may swap: the scores must match
                // in order, and each row's score must be its own cosine.
                return actual.Count == expected.Length
                    && actual.Zip(expected).All(p => Math.Abs(p.First.Score - p.Second.Score) < 1e-5)
                    && actual.All(a => a.Node != node && Math.Abs(a.Score - Cosine(vectors, dims, node, a.Node)) < 1e-5)
                    && actual.Select(a => a.Node).Distinct().Count() == actual.Count;
            });

    [Property(MaxTest = 80)]
    public Property With_context_vectors_the_top_k_are_the_k_highest_link_scores_of_a_plain_scan() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
            {
                var random = new Random(seed);
                var (rows, dims, k) = (random.Next(2, 41), random.Next(1, 9), random.Next(1, 101));
                var vectors = Enumerable.Range(0, rows * dims).Select(_ => (float)random.Next(-2, 3)).ToArray();
                var context = Enumerable.Range(0, rows * dims).Select(_ => (float)random.Next(-2, 3)).ToArray();
                var node = random.Next(rows);
                double Link(int b)
                {
                    double sum = 0;
                    for (var i = 0; i < dims; i++)
                        sum += vectors[node * dims + i] * (double)context[b * dims + i] + vectors[b * dims + i] * (double)context[node * dims + i];
                    return sum;
                }
                var expected = Enumerable.Range(0, rows).Where(r => r != node).Select(r => (Row: r, Score: Link(r)))
                    .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(k).ToArray();
                var actual = SimilarFiles.Top(vectors, context, dims, node, k);
                // Small whole numbers: the sums are exact, so rows and their order (ties: the lower row) match too.
                return SimilarFiles.MeasureOf(context) == SimilarFiles.Link
                    && actual.Select(a => (a.Node, (double)a.Score)).SequenceEqual(expected.Select(e => (e.Row, e.Score)));
            });

    private static float Cosine(float[] v, int dims, int a, int b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < dims; i++)
        {
            double x = v[a * dims + i], y = v[b * dims + i];
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return na == 0 || nb == 0 ? 0f : (float)(dot / Math.Sqrt(na * nb));
    }

    [Fact]
    public void K_outside_1_to_100_an_unknown_row_or_context_of_another_size_is_an_argument_error()
    {
        var vectors = new float[] { 1, 0, 0, 1 };
        Assert.Throws<ArgumentOutOfRangeException>(() => SimilarFiles.Top(vectors, null, 2, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimilarFiles.Top(vectors, null, 2, 0, 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimilarFiles.Top(vectors, null, 2, 2, 1));
        Assert.Throws<ArgumentException>(() => SimilarFiles.Top(vectors, [1f, 0f], 2, 0, 1));
    }
}

public sealed class NpyTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 2)]
    [InlineData(100_000, 128)]
    public void The_header_is_numpy_1_0_padded_to_64_bytes_and_names_float32_and_the_shape(int rows, int columns)
    {
        var header = Npy.Header(rows, columns);
        Assert.Equal(0, header.Length % 64);
        Assert.Equal(0x93, header[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(header, 1, 5));
        Assert.Equal((1, 0), (header[6], header[7]));
        Assert.Equal(header.Length - 10, BitConverter.ToUInt16(header, 8));
        var dict = Encoding.ASCII.GetString(header, 10, header.Length - 10);
        Assert.EndsWith("\n", dict);
        Assert.Equal($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}", dict.TrimEnd('\n', ' '));
    }

    [Fact]
    public void The_values_follow_the_header_little_endian_row_by_row()
    {
        using var stream = new MemoryStream();
        Npy.Write(stream, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var bytes = stream.ToArray();
        var data = bytes.AsSpan(Npy.Header(2, 3).Length);
        Assert.Equal(24, data.Length);
        Assert.Equal(6f, BitConverter.ToSingle(data[20..]));
        Assert.Throws<ArgumentException>(() => Npy.Write(stream, new float[5], 2, 3));
    }
}
