using System.Buffers.Binary;

namespace Pharos.Cli.Tests;

public sealed class GraphAndTrainCommandTests : IDisposable
{
    private readonly string _repo = CliRunner.TempDirectory();
    private readonly string _out = CliRunner.TempDirectory();

    public GraphAndTrainCommandTests() => CliRunner.Write(_repo,
        ("app/__init__.py", ""),
        ("app/main.py", "import os\nfrom app import models\nfrom .views import render\n"),
        ("app/models.py", "import json\n"),
        ("app/views.py", "from app.models import User  # a comment: import fake\n"),
        ("web/index.ts", "import { a } from './util';\nconst s = \"import x from 'y'\";\n"),
        ("web/util.ts", "export const a = 1;\n"),
        ("README.md", "import nothing"));

    public void Dispose()
    {
        Directory.Delete(_repo, recursive: true);
        Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Graph_prints_counts_by_language()
    {
        var (exit, output, _) = await CliRunner.RunAsync("graph", _repo);
        Assert.Equal(0, exit);
        Assert.Matches(@"files\s+6", output);
        Assert.Matches(@"python\s+4", output);
        Assert.Matches(@"typescript\s+2", output);
        Assert.Matches(@"edges\s+4", output);
        Assert.Matches(@"unresolved\s+2", output);
    }

    [Fact]
    public async Task Graph_json_has_nodes_edges_unresolved_and_languages()
    {
        var (exit, output, _) = await CliRunner.RunAsync("graph", _repo, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(["app/__init__.py", "app/main.py", "app/models.py", "app/views.py", "web/index.ts", "web/util.ts"],
            root.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
        var edges = root.GetProperty("edges").EnumerateArray().Select(e => $"{e[0].GetString()} -> {e[1].GetString()}").Order().ToList();
        Assert.Equal(["app/main.py -> app/models.py", "app/main.py -> app/views.py", "app/views.py -> app/models.py", "web/index.ts -> web/util.ts"], edges);
        Assert.Equal(2, root.GetProperty("unresolved").GetProperty("total").GetInt32());
        Assert.Equal(4, root.GetProperty("languages").GetProperty("python").GetInt32());
        Assert.Equal(0, root.GetProperty("wide_imports").GetInt32());
    }

    [Fact]
    public async Task Graph_counts_an_import_of_a_namespace_past_the_fan_out_limit_as_wide()
    {
        // 65 files share one namespace, one over the default fan-out of 64: a using of it makes no edge.
        CliRunner.Write(_repo, [.. Enumerable.Range(0, 65).Select(i => ($"cs/Big/C{i}.cs", $"namespace Big;\nclass C{i} {{ }}\n")),
            ("cs/User.cs", "using Big;\nnamespace User;\nclass U { }\n")]);

        var (exit, output, _) = await CliRunner.RunAsync("graph", _repo);
        Assert.Equal(0, exit);
        Assert.Matches(@"edges\s+4\s", output);
        Assert.Matches(@"wide\s+1\s+imports of a namespace or package of more than 64 files", output);

        (exit, output, _) = await CliRunner.RunAsync("graph", _repo, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(1, json.RootElement.GetProperty("wide_imports").GetInt32());
        Assert.Equal(4, json.RootElement.GetProperty("edges").GetArrayLength());
    }

    [Fact]
    public async Task Train_a_repository_writes_vectors_and_metadata_numpy_can_read()
    {
        var prefix = Path.Combine(_out, "nested", "emb");
        var (exit, output, error) = await CliRunner.RunAsync("train", _repo, "--out", prefix, "--dims", "16", "--epochs", "3",
            "--threads", "1", "--seed", "7", "--json");
        Assert.Equal(0, exit);
        using var summary = JsonDocument.Parse(output);
        Assert.Equal(6, summary.RootElement.GetProperty("nodes").GetInt32());
        Assert.Equal(4, summary.RootElement.GetProperty("edges").GetInt32());
        Assert.Contains("Training... 100% (epoch 3/3", error);

        var vectors = await File.ReadAllBytesAsync(prefix + ".f32");
        Assert.Equal(6 * 16 * 4, vectors.Length);
        using var metadata = JsonDocument.Parse(await File.ReadAllTextAsync(prefix + ".json"));
        Assert.Equal(16, metadata.RootElement.GetProperty("dims").GetInt32());
        Assert.Equal(6, metadata.RootElement.GetProperty("nodes").GetArrayLength());
        Assert.True(metadata.RootElement.TryGetProperty("final_loss", out _));
        var first = BinaryPrimitives.ReadSingleLittleEndian(vectors);
        Assert.True(float.IsFinite(first));

        // Same seed, one thread: the same bytes.
        var again = Path.Combine(_out, "again");
        await CliRunner.RunAsync("train", _repo, "--out", again, "--dims", "16", "--epochs", "3", "--threads", "1", "--seed", "7");
        Assert.Equal(vectors, await File.ReadAllBytesAsync(again + ".f32"));
    }

    [Fact]
    public async Task Train_an_edge_list_names_rows_by_its_node_names()
    {
        var edges = Path.Combine(_out, "edges.tsv");
        await File.WriteAllTextAsync(edges, "# a comment\na\tb\nb\tc\n\nc\ta\nd\ta\n");
        var (exit, output, _) = await CliRunner.RunAsync("train", "--graph", edges, "--out", Path.Combine(_out, "g"), "--dims", "8", "--epochs", "2");
        Assert.Equal(0, exit);
        Assert.Matches(@"nodes\s+4", output);
        Assert.Matches(@"edges\s+4", output);
        using var metadata = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "g.json")));
        Assert.Equal(["a", "b", "c", "d"], metadata.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));
    }

    [Fact]
    public async Task Train_walks_out_writes_the_walks_one_a_line_as_row_indices_along_edges()
    {
        var edges = Path.Combine(_out, "edges.tsv");
        await File.WriteAllTextAsync(edges, "a\tb\nb\tc\nc\ta\nd\ta\n");
        var walks = Path.Combine(_out, "nested", "walks.txt");
        var (exit, output, _) = await CliRunner.RunAsync("train", "--graph", edges, "--out", Path.Combine(_out, "g"), "--dims", "8",
            "--epochs", "1", "--walks-per-node", "3", "--walk-length", "5", "--threads", "1", "--seed", "3", "--walks-out", walks, "--json");
        Assert.Equal(0, exit);
        using var summary = JsonDocument.Parse(output);
        Assert.Equal(Path.GetFullPath(walks), summary.RootElement.GetProperty("walks").GetString());

        // Rows: a b c d. Every node starts 3 walks of 5 nodes (no node is isolated); each step follows an edge either way.
        var undirected = new HashSet<(int, int)> { (0, 1), (1, 2), (2, 0), (3, 0) };
        var lines = (await File.ReadAllTextAsync(walks)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4 * 3, lines.Length);
        var walked = lines.Select(line => line.Split(' ').Select(int.Parse).ToArray()).ToList();
        Assert.All(walked, walk =>
        {
            Assert.Equal(5, walk.Length);
            Assert.All(walk.Zip(walk.Skip(1)), step => Assert.True(undirected.Contains(step) || undirected.Contains((step.Item2, step.Item1))));
        });
        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], walked.Select(w => w[0]).Order());

        // The same seed on one thread gives the same walks, from a repository too (rows in the order of its nodes).
        var again = Path.Combine(_out, "again.txt");
        await CliRunner.RunAsync("train", "--graph", edges, "--out", Path.Combine(_out, "g2"), "--dims", "8", "--epochs", "1",
            "--walks-per-node", "3", "--walk-length", "5", "--threads", "1", "--seed", "3", "--walks-out", again);
        Assert.Equal(await File.ReadAllTextAsync(walks), await File.ReadAllTextAsync(again));
        var repoWalks = Path.Combine(_out, "repo-walks.txt");
        (exit, _, _) = await CliRunner.RunAsync("train", _repo, "--out", Path.Combine(_out, "r"), "--dims", "8", "--epochs", "1",
            "--walks-per-node", "2", "--threads", "1", "--walks-out", repoWalks);
        Assert.Equal(0, exit);
        Assert.Equal(6 * 2, (await File.ReadAllLinesAsync(repoWalks)).Length);
    }

    [Theory]
    [InlineData("train --out OUT", "Give either DIR or --graph")]
    [InlineData("train REPO --graph EDGES --out OUT", "Give either DIR or --graph")]
    [InlineData("train REPO", "--out")]
    [InlineData("train REPO --out OUT --dims 0", "--dims must be from 1 to 4096")]
    [InlineData("train REPO --out OUT --p -1", "--p")]
    [InlineData("train REPO --out OUT --epochs many", "many")]
    [InlineData("train /no/such/dir --out OUT", "does not exist")]
    [InlineData("train --graph /no/such/edges.tsv --out OUT", "does not exist")]
    [InlineData("train --graph BAD --out OUT", "line 2")]
    [InlineData("graph /no/such/dir", "does not exist")]
    public async Task Bad_arguments_and_input_give_a_clear_message_and_a_non_zero_exit(string command, string message)
    {
        var bad = Path.Combine(_out, "bad.tsv");
        await File.WriteAllTextAsync(bad, "a\tb\nthis line has no tab\n");
        var args = command.Split(' ').Select(a => a switch
        {
            "REPO" => _repo,
            "OUT" => Path.Combine(_out, "x"),
            "EDGES" => bad,
            "BAD" => bad,
            _ => a,
        }).ToArray();
        var (exit, output, error) = await CliRunner.RunAsync(args);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, output + error);
        Assert.False(File.Exists(Path.Combine(_out, "x.f32")));
    }
}
