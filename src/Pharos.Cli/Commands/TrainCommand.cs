using System.Diagnostics;
using System.Text;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos train (DIR | --graph EDGES.tsv) --out PREFIX [...]`: Node2Vec embeddings of a repository's import graph,
/// or of any graph given as tab-separated edges.
/// </summary>
internal static class TrainCommand
{
    public static Command Build()
    {
        var defaults = new Node2VecOptions();
        var directory = new Argument<DirectoryInfo?>("DIR")
        {
            Description = "The repository to read the import graph of (or give --graph).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var edges = new Option<FileInfo?>("--graph") { Description = "Tab-separated edges, one `from<TAB>to` a line, instead of DIR." };
        var output = new Option<string>("--out")
        {
            Description = "Output prefix: writes PREFIX.f32 (input vectors), PREFIX.context.f32 (context vectors) and PREFIX.json.",
            Required = true,
        };
        var dims = Int("--dims", "Embedding dimensions.", defaults.Dimensions);
        var epochs = Int("--epochs", "Passes over the walks.", defaults.Epochs);
        var walkLength = Int("--walk-length", "Steps per random walk.", defaults.WalkLength);
        var context = Int("--context", "Skip-gram window.", defaults.Context);
        var walksPerNode = Int("--walks-per-node", "Walks started from every node.", defaults.WalksPerNode);
        var p = new Option<double>("--p") { Description = "Return parameter.", DefaultValueFactory = _ => defaults.P };
        var q = new Option<double>("--q") { Description = "In-out parameter.", DefaultValueFactory = _ => defaults.Q };
        var negative = Int("--negative", "Negative samples per positive pair.", defaults.Negative);
        var nsExponent = new Option<double>("--ns-exponent")
        {
            Description = $"Negatives are drawn ∝ occurrences^this (0: uniformly). Default {defaults.NegativeExponent}.",
            DefaultValueFactory = _ => defaults.NegativeExponent,
        };
        var threads = Int("--threads", "Training threads.", defaults.Threads);
        var seed = new Option<int?>("--seed") { Description = "Seed; with --threads 1 the result is reproducible bit for bit." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var walksOut = new Option<FileInfo?>("--walks-out")
        {
            Description = "Also write the walk corpus the skip-gram trains on: one walk a line, node indices (the rows of PREFIX.f32) separated by spaces.",
        };

        var command = new Command("train", "Train Node2Vec embeddings of a repository's import graph.")
        {
            directory, edges, output, dims, epochs, walkLength, context, walksPerNode, p, q, negative, nsExponent, threads, seed, json,
            walksOut,
        };
        command.Validators.Add(result =>
        {
            var hasDirectory = result.GetValue(directory) is not null;
            var hasEdges = result.GetValue(edges) is not null;
            if (hasDirectory == hasEdges) result.AddError("Give either DIR or --graph EDGES.tsv, not both and not neither.");
        });
        command.SetAction((result, ct) =>
        {
            var console = ParseResultContext.From(result);
            var options = new Node2VecOptions
            {
                Dimensions = result.GetValue(dims),
                Epochs = result.GetValue(epochs),
                WalkLength = result.GetValue(walkLength),
                Context = result.GetValue(context),
                WalksPerNode = result.GetValue(walksPerNode),
                P = result.GetValue(p),
                Q = result.GetValue(q),
                Negative = result.GetValue(negative),
                NegativeExponent = result.GetValue(nsExponent),
                Threads = result.GetValue(threads),
                Seed = result.GetValue(seed),
            };
            return CliErrors.Guard(console, () => Task.FromResult(Run(result.GetValue(directory), result.GetValue(edges),
                result.GetValue(output)!, result.GetValue(walksOut), options, result.GetValue(json), console, ct)));
        });
        return command;
    }

    private static Option<int> Int(string name, string description, int fallback) =>
        new(name) { Description = $"{description} Default {fallback}.", DefaultValueFactory = _ => fallback };

    private static int Run(DirectoryInfo? directory, FileInfo? edgeFile, string prefix, FileInfo? walksFile,
        Node2VecOptions options, bool json, ParseResultContext console, CancellationToken ct)
    {
        options.Validate();
        // Written as soon as the walks are made, before the skip-gram: the very corpus the vectors are trained on.
        Action<WalkCorpus>? walksMade = walksFile is null ? null : corpus => WriteWalks(walksFile, corpus);
        void Report(EpochProgress progress) => console.Error.WriteLine(
            $"Training... {100 * progress.Epoch / progress.TotalEpochs}% (epoch {progress.Epoch}/{progress.TotalEpochs}, loss {progress.Loss:0.0000})");

        int nodeCount, edgeCount;
        IReadOnlyList<string> names;
        Embeddings embeddings;
        TimeSpan parse;
        if (directory is not null)
        {
            var embedded = RepositoryEmbedder.Embed(directory.FullName, options, AnalysisLimits.Default, walksMade,
                progress => { if (progress.Epoch is { } epoch) Report(epoch); }, ct);
            (names, embeddings, parse) = (embedded.Graph.Nodes, embedded.Embeddings, embedded.ParseElapsed);
            (nodeCount, edgeCount) = (embedded.Graph.Nodes.Count, embedded.Graph.Edges.Count);
        }
        else
        {
            var clock = Stopwatch.StartNew();
            var (graph, edgeNames) = FromEdgeList(edgeFile!);
            parse = clock.Elapsed;
            names = edgeNames;
            (nodeCount, edgeCount) = (graph.NodeCount, graph.EdgeCount);
            embeddings = Node2VecTrainer.Train(graph, options, walksMade, Report, ct);
        }
        var parseSeconds = parse.TotalSeconds;

        var fullPrefix = Path.GetFullPath(prefix);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPrefix)!);
        EmbeddingWriter.Save(fullPrefix, names, embeddings, options, new { parse_seconds = Math.Round(parseSeconds, 3) });

        var summary = new
        {
            nodes = nodeCount,
            edges = edgeCount,
            parse_seconds = Math.Round(parseSeconds, 3),
            walk_seconds = Math.Round(embeddings.WalkElapsed.TotalSeconds, 3),
            train_seconds = Math.Round(embeddings.TrainElapsed.TotalSeconds, 3),
            final_loss = embeddings.FinalLoss,
            embeddings = new { vectors = fullPrefix + ".f32", metadata = fullPrefix + ".json", dims = options.Dimensions },
            walks = walksFile?.FullName,
        };
        if (json)
        {
            CliJson.Write(console.Output, summary);
            return 0;
        }
        var output = console.Output;
        output.WriteLine($"nodes          {summary.nodes}");
        output.WriteLine($"edges          {summary.edges}");
        output.WriteLine($"parse          {summary.parse_seconds:0.000} s");
        output.WriteLine($"walks          {summary.walk_seconds:0.000} s");
        output.WriteLine($"train          {summary.train_seconds:0.000} s");
        output.WriteLine($"final loss     {summary.final_loss:0.0000}");
        output.WriteLine($"embeddings     {summary.embeddings.vectors} ({summary.nodes} x {options.Dimensions} float32)");
        output.WriteLine($"               {summary.embeddings.metadata}");
        if (summary.walks is not null) output.WriteLine($"walks file     {summary.walks}");
        return 0;
    }

    private static void WriteWalks(FileInfo file, WalkCorpus corpus)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file.FullName)!);
        using var writer = new StreamWriter(file.FullName, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        corpus.WriteText(writer);
    }

    private static (TrainingGraph Graph, IReadOnlyList<string> Names) FromEdgeList(FileInfo file)
    {
        if (!file.Exists) throw new CliException($"edge list '{file.FullName}' does not exist.");
        using var reader = file.OpenText();
        var (graph, names) = TrainingGraph.ReadEdgeList(reader);
        return (graph, names);
    }
}
