using System.Globalization;
using Pharos.CodeGraph.Training;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos repos`, `pharos similar REPO PATH`, `pharos embeddings REPO --out PREFIX`: the results the cloud keeps, per
/// repository and ref (`--ref`, `--commit`; the server checks a ref as ingest does and says what it refused).
/// </summary>
internal static class RepoCommands
{
    /// <summary>How the default branch (a result whose task named no ref) shows in the REF column.</summary>
    internal const string DefaultBranch = "(default)";

    private static Option<string?> RefOption() => new("--ref")
    {
        Description = "The branch, tag or commit SHA the task named (as submitted with --ref); default: the newest result whatever its ref.",
    };

    private static Option<string?> CommitOption() => new("--commit") { Description = "A stored commit other than the newest." };

    /// <summary>The route for REPO at --commit and --ref (each when given).</summary>
    private static string Route(string route, ParseResult result, Argument<string> repo, Option<string?> commit, Option<string?> gitRef) =>
        RepoRoutes.For(route, result.GetValue(repo)!, Given(result.GetValue(commit)), Given(result.GetValue(gitRef)))[1..];

    private static string? Given(string? value) => string.IsNullOrEmpty(value) ? null : value;

    public static Command Repos(RemoteOptions remote)
    {
        var json = RemoteOptions.Json();
        var gitRef = new Option<string?>("--ref") { Description = "Only the results of this ref (as submitted with --ref)." };
        var command = new Command("repos", "Stored results, one row per repository and ref, newest first (GET /repos).") { gitRef, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var page = await client.GetAsync(RepoRoutes.List[1..], ct);
            var only = Given(result.GetValue(gitRef));
            if (result.GetValue(json) && only is null)
            {
                Format.Json(context.Output, page.Text);
                return 0;
            }
            var repos = page.Read<RepoListDto>().Repos.Where(r => only is null || r.Ref == only).ToList();
            if (result.GetValue(json))
            {
                CliJson.Write(context.Output, new RepoListDto(repos));
                return 0;
            }
            var rows = repos.Select(repo => (IReadOnlyList<string>)
            [
                repo.RepoUrl,
                repo.Ref ?? DefaultBranch,
                Short(repo.CommitSha),
                repo.Files.ToString(CultureInfo.InvariantCulture),
                repo.Edges.ToString(CultureInfo.InvariantCulture),
                repo.Dims.ToString(CultureInfo.InvariantCulture),
                repo.FinalLoss.ToString("0.0000", CultureInfo.InvariantCulture),
                Format.Time(repo.TrainedAt),
            ]).ToList();
            if (rows.Count == 0)
            {
                context.Output.WriteLine(only is null ? "No results yet." : $"No results at ref {only}.");
                return 0;
            }
            Format.Table(context.Output, ["REPO", "REF", "COMMIT", "FILES", "EDGES", "DIMS", "LOSS", "TRAINED"], rows);
            return 0;
        }));
        return command;
    }

    public static Command Similar(RemoteOptions remote)
    {
        var repo = new Argument<string>("REPO") { Description = "The repository's URL, as it was submitted." };
        var path = new Argument<string>("PATH") { Description = "A file of the repository, as its graph names it (e.g. src/pkg/__init__.py)." };
        var k = new Option<int>("-k") { Description = "How many files, 1 to 100.", DefaultValueFactory = _ => 10 };
        k.Validators.Add(r => { if (r.GetValue(k) is < 1 or > 100) r.AddError("-k must be from 1 to 100."); });
        var gitRef = RefOption();
        var commit = CommitOption();
        var json = RemoteOptions.Json();
        var command = new Command("similar", "The files most likely linked to PATH by their embeddings, highest score first (GET /repos/similar).")
        {
            repo, path, k, gitRef, commit, json,
        };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var answer = await client.GetAsync(
                Route(RepoRoutes.Similar, result, repo, commit, gitRef) + $"&path={Uri.EscapeDataString(result.GetValue(path)!)}&k={result.GetValue(k)}", ct);
            if (result.GetValue(json))
            {
                Format.Json(context.Output, answer.Text);
                return 0;
            }
            var similar = answer.Read<SimilarDto>();
            context.Output.WriteLine($"Files like {similar.Path} in {similar.RepoUrl} at {At(similar.Ref, similar.CommitSha)} (by {similar.Measure} score):");
            if (similar.Results.Count == 0)
            {
                context.Output.WriteLine("No other files.");
                return 0;
            }
            Format.Table(context.Output, ["SCORE", "PATH"],
                [.. similar.Results.Select(s => (IReadOnlyList<string>)[s.Score.ToString("0.0000", CultureInfo.InvariantCulture), s.Path])]);
            return 0;
        }));
        return command;
    }

    public static Command Embeddings(RemoteOptions remote)
    {
        var repo = new Argument<string>("REPO") { Description = "The repository's URL, as it was submitted." };
        var output = new Option<string>("--out") { Description = "Writes PREFIX.f32 and PREFIX.json, as `pharos train` does.", Required = true };
        var commit = CommitOption();
        var gitRef = RefOption();
        var command = new Command("embeddings", "Downloads a repository's embeddings (GET /repos/embeddings) as PREFIX.f32 and PREFIX.json.")
        {
            repo, output, gitRef, commit,
        };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var stored = (await client.GetAsync(Route(RepoRoutes.Embeddings, result, repo, commit, gitRef), ct)).Read<EmbeddingsDto>();
            // The context vectors of the same result (the first answer named its commit and ref), when it has them.
            var contextVectors = stored.ContextVectors
                ? (await client.GetAsync(RepoRoutes.For(RepoRoutes.Embeddings, stored.RepoUrl, stored.CommitSha, stored.Ref,
                    defaultBranch: stored.Ref is null)[1..] + "&vectors=context", ct)).Read<EmbeddingsDto>()
                : null;
            var prefix = result.GetValue(output)!;
            Save(prefix, stored, contextVectors);
            context.Output.WriteLine($"Wrote {prefix}.f32 ({stored.Nodes.Count} x {stored.Dims} float32)" +
                                     (contextVectors is null ? "" : $", {prefix}{EmbeddingWriter.ContextSuffix}") +
                                     $" and {prefix}.json ({stored.RepoUrl} at {At(stored.Ref, stored.CommitSha)}).");
            return 0;
        }));
        return command;
    }

    /// <summary>The files `pharos train` writes, with the parameters the edge trained with.</summary>
    internal static void Save(string prefix, EmbeddingsDto stored, EmbeddingsDto? contextVectors = null)
    {
        var embeddings = new CodeGraph.Training.Embeddings(stored.Nodes.Count, stored.Dims, Matrix(stored, stored))
        {
            ContextVectors = contextVectors is null ? null : Matrix(stored, contextVectors),
            FinalLoss = stored.FinalLoss,
        };
        EmbeddingWriter.Save(prefix, stored.Nodes, embeddings, Options(stored));
    }

    /// <summary><paramref name="answer"/>'s rows as one matrix, checked against the files and dims of <paramref name="stored"/>.</summary>
    private static float[] Matrix(EmbeddingsDto stored, EmbeddingsDto answer)
    {
        if (answer.Vectors.Count != stored.Nodes.Count || answer.Vectors.Any(v => v.Length != stored.Dims))
            throw new CliException($"the Pharos cloud sent {answer.Vectors.Count} vectors for {stored.Nodes.Count} files of {stored.Dims} dims.");
        var matrix = new float[stored.Nodes.Count * stored.Dims];
        for (var i = 0; i < answer.Vectors.Count; i++) answer.Vectors[i].CopyTo(matrix, i * stored.Dims);
        return matrix;
    }

    private static Node2VecOptions Options(EmbeddingsDto stored)
    {
        var defaults = new Node2VecOptions();
        var given = stored.Parameters;
        int Int(string name, int fallback) => given.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        double Double(string name, double fallback) => given.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        return defaults with
        {
            Dimensions = stored.Dims,
            WalkLength = Int("walk_length", defaults.WalkLength),
            Context = Int("context", defaults.Context),
            WalksPerNode = Int("walks_per_node", defaults.WalksPerNode),
            P = Double("p", defaults.P),
            Q = Double("q", defaults.Q),
            Epochs = Int("epochs", defaults.Epochs),
            Negative = Int("negative", defaults.Negative),
            // Results that do not say theirs were trained before the default changed.
            NegativeExponent = Double("ns_exponent", Node2VecOptions.Word2VecNegativeExponent),
            Seed = given.TryGetValue("seed", out var seed) && seed.ValueKind == JsonValueKind.Number ? seed.GetInt32() : null,
            LearningRate = (float)Double("learning_rate", defaults.LearningRate),
            MinLearningRate = (float)Double("min_learning_rate", defaults.MinLearningRate),
        };
    }

    private static string Short(string commit) => commit.Length > 12 ? commit[..12] : commit;

    private static string At(string? gitRef, string commit) => gitRef is null ? Short(commit) : $"{gitRef} ({Short(commit)})";
}
