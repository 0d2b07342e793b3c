using System.Diagnostics;
using LibGit2Sharp;
using Pharos.Actors.Results;
using Pharos.Api.Contracts;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Results;
using Pharos.CodeGraph.Training;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>
/// What a spare job process (<see cref="JobSpares"/>) does while it waits for its order: its own stage, again and again,
/// on a tiny repository written here (a clone of a local two-commit repository; the analysis of a few files in each
/// language the graph reads, with a small training), and the job protocol's lines, so that the order meets code the
/// runtime has loaded, compiled and optimised. Without it a fresh process runs a task's first seconds in unoptimised
/// code (bench/jobs). Nothing of it reaches standard output, and a failure here only leaves the order colder.
/// </summary>
internal static class JobWarmUp
{
    /// <summary>
    /// Rounds and time enough for the runtime to optimise what runs once per round: it counts calls (30) only after
    /// 100 ms without new compilations, then compiles the hot methods again in the background.
    /// </summary>
    private const int MinRounds = 40;
    private static readonly TimeSpan MinTime = TimeSpan.FromMilliseconds(600), MaxTime = TimeSpan.FromSeconds(3);

    /// <summary>Runs until warm, or until <paramref name="stop"/> (the order arrived: it goes first).</summary>
    public static void Run(JobKind kind, CancellationToken stop)
    {
        DirectoryInfo? dir = null;
        try
        {
            dir = Directory.CreateTempSubdirectory("pharos-warm-up-");
            Action<int> round = kind == JobKind.Clone ? CloneRound(dir.FullName) : AnalyzeRound(dir.FullName);
            var clock = Stopwatch.StartNew();
            for (var i = 0; !stop.IsCancellationRequested && clock.Elapsed < MaxTime && (i < MinRounds || clock.Elapsed < MinTime); i++)
                round(i);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Best effort: the order runs all the same, only colder.
        }
        finally
        {
            try
            {
                dir?.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary directory; the system's cleaning takes it.
            }
        }
    }

    /// <summary>A full clone of a local repository through <see cref="RepositoryCloner"/>, as a clone job runs it.</summary>
    private static Action<int> CloneRound(string dir)
    {
        var source = Path.Combine(dir, "source");
        Repository.Init(source);
        using (var repo = new Repository(source))
        {
            var author = new Signature("pharos", "pharos@localhost", DateTimeOffset.UnixEpoch);
            foreach (var commit in new[] { "first", "second" })
            {
                File.WriteAllText(Path.Combine(source, commit + ".py"), $"import os\nimport {commit}_helper\n");
                File.WriteAllText(Path.Combine(source, commit + "_helper.py"), "VALUE = 1\n");
                Commands.Stage(repo, "*");
                repo.Commit(commit, author, author);
            }
        }
        var order = JobJson.Line(new CloneRequest(source, "", 1 << 20, TimeSpan.FromMinutes(1), null)
        {
            AllowInternalAddresses = true,
            MaxFiles = 100,
            MaxCheckoutBytes = 1 << 20,
        });
        return i =>
        {
            var request = JobJson.Read<CloneRequest>(order) with { TargetDirectory = Path.Combine(dir, $"clone-{i}") };
            var result = RepositoryCloner.Clone(request, progress => JobJson.Line(new JobLine { Cloning = progress }), CancellationToken.None);
            JobJson.Line(new JobLine { Cloned = result });
            WorkDirectories.Delete(request.TargetDirectory);
        };
    }

    /// <summary>The parse, a small training, the bundle into an outbox: what an analysis job runs, on a few files.</summary>
    private static Action<int> AnalyzeRound(string dir)
    {
        var checkout = Path.Combine(dir, "checkout");
        foreach (var (path, text) in Sources)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(checkout, path))!);
            File.WriteAllText(Path.Combine(checkout, path), text);
        }
        var training = new Node2VecOptions { Epochs = 2, WalksPerNode = 4, WalkLength = 10, Context = 4, Threads = Environment.ProcessorCount };
        var order = JobJson.Line(new AnalyzeOrder(checkout, "https://example.invalid/warm-up.git", new string('0', 40), "warm-up", "lease", 0,
            training, Path.Combine(dir, "outbox"), AnalysisLimits.Default));
        return i =>
        {
            var read = JobJson.Read<AnalyzeOrder>(order);
            var embedding = RepositoryEmbedder.Embed(read.RepositoryDirectory, read.Training, read.Analysis ?? AnalysisLimits.Default,
                progress => JobJson.Line(new JobLine { Progress = new StageProgress(progress.Stage, progress.Fraction, progress.Message) }));
            var bundle = ResultBundles.Of(read.RepoUrl, read.CommitSha, $"{read.TaskId}-{i}", DateTimeOffset.UtcNow, embedding, read.Training,
                read.CloneSeconds);
            var entry = Outbox.Put(read.OutboxRoot, $"{read.TaskId}-{i}", read.LeaseId, bundle.WriteTo);
            JobJson.Line(new JobLine { Analyzed = new AnalyzeResult(embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count, 0, entry) });
            File.Delete(entry.Path);
        };
    }

    /// <summary>A few files of each language, importing each other.</summary>
    private static readonly (string Path, string Text)[] Sources =
    [
        ("app/__init__.py", "from .core import run\n"),
        ("app/core.py", "import os\nfrom . import util\nfrom app.models import Model\n\ndef run():\n    return [util.f(x) for x in range(3)]\n"),
        ("app/util.py", "\"\"\"Helpers.\"\"\"\nimport json\n\ndef f(x):\n    return f'{x!r}'\n"),
        ("app/models.py", "from app import util\n\nclass Model:\n    pass\n"),
        ("web/index.ts", "import { a } from './a';\nimport * as b from \"./b\";\nexport const c = `${a}`;\n"),
        ("web/a.ts", "export const a = 1;\n"),
        ("web/b.js", "const a = require('./a');\nmodule.exports = { a };\n"),
        ("web/c.tsx", "import { c } from './index';\nexport default () => <div>{c}</div>;\n"),
        ("src/Main.java", "package src;\n\nimport src.util.Helper;\n\npublic class Main { /* a */ }\n"),
        ("src/util/Helper.java", "package src.util;\n\npublic class Helper {}\n"),
        ("go.mod", "module example.invalid/warm\n"),
        ("cmd/main.go", "package main\n\nimport (\n\t\"fmt\"\n\t\"example.invalid/warm/lib\"\n)\n\nfunc main() { fmt.Println(lib.X) }\n"),
        ("lib/lib.go", "package lib\n\nconst X = `raw`\n"),
        ("Cs/Program.cs", "using System;\nusing Warm.Lib;\n\nnamespace Warm;\n\nclass Program { static void Main() => Console.WriteLine(Helper.X); }\n"),
        ("Cs/Lib/Helper.cs", "namespace Warm.Lib\n{\n    public static class Helper { public const string X = @\"x\"; }\n}\n"),
    ];
}
