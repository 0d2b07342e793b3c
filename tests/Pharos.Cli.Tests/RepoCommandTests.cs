using Microsoft.Extensions.DependencyInjection;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Results;
using Pharos.CodeGraph.Training;
using Pharos.Testing.Results;

namespace Pharos.Cli.Tests;

/// <summary>`pharos repos`, `similar` and `embeddings` against a real cloud node whose store holds results put by the test.</summary>
public sealed class RepoCommandTests(QueueNode node) : IClassFixture<QueueNode>
{
    private async Task<ResultBundle> PutAsync(ResultBundle bundle)
    {
        await node.Host.Services.GetRequiredService<IResultStore>().PutAsync(bundle.ToBytes());
        return bundle;
    }

    private static string NewRepo() => $"https://github.com/pharos/cli{Guid.NewGuid():N}";

    [Fact]
    public async Task Repos_prints_a_table_of_stored_results_and_json_prints_the_server_s_body()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "0123456789abcdef0123", minutes: 900_000, files: 6, dims: 4));

        var (exit, output, error) = await node.Run("repos");
        Assert.True(exit == 0, error);
        Assert.Matches(@"REPO\s+REF\s+COMMIT\s+FILES\s+EDGES\s+DIMS\s+LOSS\s+TRAINED", output);
        Assert.Matches($@"{bundle.Header.RepoUrl}\s+\(default\)\s+0123456789ab\s+6\s+5\s+4\s+0\.5000\s+\d{{4}}-", output);

        (exit, output, _) = await node.Run("repos", "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Contains(json.RootElement.GetProperty("repos").EnumerateArray(), r => r.GetProperty("repo_url").GetString() == bundle.Header.RepoUrl);
    }

    [Fact]
    public async Task Similar_prints_the_nearest_files_highest_first_and_says_which_path_is_unknown()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "s1", files: 12, dims: 5, seed: 4));

        var (exit, output, error) = await node.Run("similar", bundle.Header.RepoUrl, "pkg/m002.py", "-k", "4");
        Assert.True(exit == 0, error);
        Assert.Contains($"Files like pkg/m002.py in {bundle.Header.RepoUrl} at s1 (by link score):", output);
        var scores = System.Text.RegularExpressions.Regex.Matches(output, @"^(-?\d+\.\d{4})\s+(pkg/\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => (Score: double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Path: m.Groups[2].Value)).ToArray();
        Assert.Equal(4, scores.Length);
        Assert.DoesNotContain(scores, s => s.Path == "pkg/m002.py");
        Assert.True(scores.Zip(scores.Skip(1)).All(p => p.Item1.Score >= p.Item2.Score));

        (exit, output, _) = await node.Run("similar", bundle.Header.RepoUrl, "pkg/m002.py", "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
            Assert.Equal(10, json.RootElement.GetProperty("results").GetArrayLength());

        (exit, _, error) = await node.Run("similar", bundle.Header.RepoUrl, "pkg/none.py");
        Assert.Equal(1, exit);
        Assert.Contains("pkg/none.py", error);
        (exit, _, error) = await node.Run("similar", bundle.Header.RepoUrl, "pkg/m002.py", "-k", "101");
        Assert.Equal(2, exit);
        Assert.Contains("-k must be from 1 to 100", error);
    }

    [Fact]
    public async Task Embeddings_writes_the_pair_of_files_pharos_train_writes_with_the_stored_vectors()
    {
        var bundle = await PutAsync(ResultSamples.Bundle(NewRepo(), "e1", files: 7, dims: 3, seed: 11));
        var prefix = Path.Combine(CliRunner.TempDirectory(), "out", "emb");

        var (exit, output, error) = await node.Run("embeddings", bundle.Header.RepoUrl, "--out", prefix);
        Assert.True(exit == 0, error);
        Assert.Contains($"Wrote {prefix}.f32 (7 x 3 float32)", output);

        // Read back the way `pharos train`'s files are read: the same reader, the same numbers, the same row order.
        var stored = EmbeddingReader.Load(prefix);
        Assert.Equal(bundle.Header.Graph.Nodes, stored.Nodes);
        Assert.Equal(bundle.Vectors, stored.Embeddings.Vectors);
        Assert.Equal(3, stored.Options.Dimensions);
        Assert.Equal(5, stored.Options.Epochs);
        Assert.Equal(0.5, stored.Embeddings.FinalLoss);
        Assert.Equal(7 * 3 * sizeof(float), new FileInfo(prefix + ".f32").Length);
        // The context vectors too, beside them, as `pharos train` writes them.
        Assert.Contains($"{prefix}.context.f32", output);
        Assert.Equal(bundle.ContextVectors, stored.Embeddings.ContextVectors);
        // word2vec's exponent for a result that does not say its own (trained before the default changed).
        Assert.Equal(Node2VecOptions.Word2VecNegativeExponent, stored.Options.NegativeExponent);

        // A result trained before context vectors were kept: the two files alone.
        var older = await PutAsync(ResultSamples.Bundle(NewRepo(), "e2", files: 4, dims: 2, seed: 12, context: false));
        var olderPrefix = Path.Combine(CliRunner.TempDirectory(), "out", "older");
        (exit, output, error) = await node.Run("embeddings", older.Header.RepoUrl, "--out", olderPrefix);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("context.f32", output);
        Assert.False(File.Exists(olderPrefix + ".context.f32"));
        Assert.Null(EmbeddingReader.Load(olderPrefix).Embeddings.ContextVectors);

        (exit, _, error) = await node.Run("embeddings", NewRepo(), "--out", prefix);
        Assert.Equal(1, exit);
        Assert.StartsWith("pharos: not found:", error);
    }

    [Fact]
    public async Task Repos_similar_and_embeddings_take_ref_and_commit_and_say_what_the_server_refused()
    {
        var repo = NewRepo();
        var main = await PutAsync(ResultSamples.Bundle(repo, "aaaa1111", "t-main", minutes: 900_010, files: 5, dims: 3, seed: 21));
        var tag = await PutAsync(ResultSamples.Bundle(repo, "bbbb2222", "t-tag", minutes: 900_011, files: 8, dims: 3, seed: 22, gitRef: "v1.0"));

        // Both refs listed; --ref keeps one.
        var (exit, output, error) = await node.Run("repos");
        Assert.True(exit == 0, error);
        Assert.Matches($@"{repo}\s+v1\.0\s+bbbb2222\s+8\s", output);
        Assert.Matches($@"{repo}\s+\(default\)\s+aaaa1111\s+5\s", output);
        (exit, output, _) = await node.Run("repos", "--ref", "v1.0");
        Assert.Equal(0, exit);
        Assert.Contains("bbbb2222", output);
        Assert.DoesNotContain("aaaa1111", output);
        (exit, output, _) = await node.Run("repos", "--ref", "v1.0", "--json");
        Assert.Equal(0, exit);
        using (var json = JsonDocument.Parse(output))
            Assert.All(json.RootElement.GetProperty("repos").EnumerateArray(), r => Assert.Equal("v1.0", r.GetProperty("ref").GetString()));
        (exit, output, _) = await node.Run("repos", "--ref", "v9.9");
        Assert.Equal(0, exit);
        Assert.Contains("No results at ref v9.9.", output);

        // similar: the newest (the tag's), or the one asked for.
        (exit, output, error) = await node.Run("similar", repo, "pkg/m001.py", "-k", "2");
        Assert.True(exit == 0, error);
        Assert.Contains($"in {repo} at v1.0 (bbbb2222)", output);
        (exit, output, error) = await node.Run("similar", repo, "pkg/m001.py", "-k", "2", "--commit", "aaaa1111");
        Assert.True(exit == 0, error);
        Assert.Contains($"in {repo} at aaaa1111", output);
        (exit, _, error) = await node.Run("similar", repo, "pkg/m001.py", "--ref", "v2.0");
        Assert.Equal(1, exit);
        Assert.Contains("at ref v2.0", error);
        (exit, _, error) = await node.Run("similar", repo, "pkg/m001.py", "--ref", "-rf");
        Assert.Equal(1, exit);
        Assert.Contains("ref is not a valid branch, tag or commit name", error);

        // embeddings --ref: that ref's vectors and context vectors.
        var prefix = Path.Combine(CliRunner.TempDirectory(), "out", "tag");
        (exit, output, error) = await node.Run("embeddings", repo, "--out", prefix, "--ref", "v1.0");
        Assert.True(exit == 0, error);
        Assert.Contains($"({repo} at v1.0 (bbbb2222))", output);
        var stored = EmbeddingReader.Load(prefix);
        Assert.Equal(tag.Vectors, stored.Embeddings.Vectors);
        Assert.Equal(tag.ContextVectors, stored.Embeddings.ContextVectors);
        var mainPrefix = Path.Combine(CliRunner.TempDirectory(), "out", "main");
        (exit, _, error) = await node.Run("embeddings", repo, "--out", mainPrefix, "--commit", "aaaa1111");
        Assert.True(exit == 0, error);
        Assert.Equal(main.ContextVectors, EmbeddingReader.Load(mainPrefix).Embeddings.ContextVectors);
        (exit, _, error) = await node.Run("embeddings", repo, "--out", mainPrefix, "--ref", "v1.0", "--commit", "aaaa1111");
        Assert.Equal(1, exit);
        Assert.Contains("at ref v1.0 and commit aaaa1111", error);
    }
}
