using Pharos.Actors.Results;
using Pharos.Api.Contracts;
using Pharos.CodeGraph.Embedding;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Results;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>
/// The <c>job</c> mode of a Pharos node: one stage of one task, in a process of its own, so that whatever a
/// repository makes the clone or the parser do (crash, overflow the stack, exhaust memory, hang) ends this process
/// only. Reads its order from standard input, writes <see cref="JobLine"/>s to standard output, and exits when
/// standard input closes (the worker that started it is gone).
/// </summary>
public static class JobHost
{
    /// <summary>Exit codes the worker does not need to interpret: its last line says what happened.</summary>
    private const int Succeeded = 0, FailedWithLine = 1, Usage = 2, WorkerGone = 3;

    private static readonly object WriteLock = new();

    /// <summary>The word after the stage that makes a job process a spare: it warms up until its order comes.</summary>
    public const string SpareFlag = "--spare";

    /// <summary>
    /// Runs <c>job clone|analyze [--spare]</c>; <paramref name="args"/> are the words after <c>job</c>. A spare
    /// (<see cref="JobSpares"/>) is started before its order exists, and runs <see cref="JobWarmUp"/> while it waits.
    /// </summary>
    public static int Run(string[] args)
    {
        JobKind? named = args is [var stage, ..] && args.Skip(1).All(a => a == SpareFlag) ? stage switch
        {
            "clone" => JobKind.Clone,
            "analyze" => JobKind.Analyze,
            _ => null,
        } : null;
        if (named is not { } kind)
        {
            Console.Error.WriteLine($"usage: job clone|analyze [{SpareFlag}]  (the order comes as one JSON line on standard input)");
            return Usage;
        }

        using var ordered = new CancellationTokenSource();
        if (args.Length > 1)
            new Thread(() => JobWarmUp.Run(kind, ordered.Token)) { IsBackground = true, Name = "job-warm-up" }.Start();
        var order = Console.In.ReadLine();
        ordered.Cancel();
        if (order is null) return WorkerGone;
        // Nothing more comes on standard input: its end means the worker is gone, and so is the reason to go on.
        new Thread(() =>
        {
            while (Console.In.ReadLine() is not null) { }
            Environment.Exit(WorkerGone);
        })
        { IsBackground = true, Name = "job-stdin" }.Start();

        try
        {
            Write(kind == JobKind.Clone ? Clone(JobJson.Read<CloneRequest>(order)) : Analyze(JobJson.Read<AnalyzeOrder>(order)));
            return Succeeded;
        }
        catch (OutOfMemoryException)
        {
            // The heap's hard limit, not the machine's memory: what was allocated is garbage by now.
            Write(Failure(JobReason.MemoryLimit, "the analysis needed more memory than PHAROS_JOB_MEMORY_MB allows"));
            return FailedWithLine;
        }
        catch (CloneFailedException e)
        {
            Write(Failure(e.Kind switch
            {
                CloneFailureKind.RepositoryTooLarge => JobReason.RepositoryTooLarge,
                CloneFailureKind.RefNotFound => JobReason.RefNotFound,
                _ => JobReason.CloneFailed,
            }, e.Message, e.Transient));
            return FailedWithLine;
        }
        catch (RepositoryTooLargeException e)
        {
            Write(Failure(JobReason.RepositoryTooLarge, e.Message));
            return FailedWithLine;
        }
        catch (Exception e)
        {
            Write(Failure(kind == JobKind.Clone ? JobReason.CloneFailed : JobReason.TrainingFailed, e.Message));
            return FailedWithLine;
        }
    }

    private static JobLine Clone(CloneRequest request) => new()
    {
        // The worker enforces the wall time by ending this process: one clock, and nothing left writing after it.
        Cloned = RepositoryCloner.Clone(request with { Timeout = Timeout.InfiniteTimeSpan },
            progress => Write(new JobLine { Cloning = progress }), CancellationToken.None),
    };

    private static JobLine Analyze(AnalyzeOrder order)
    {
        var embedding = RepositoryEmbedder.Embed(order.RepositoryDirectory, order.Training, order.Analysis ?? AnalysisLimits.Default,
            progress => Write(new JobLine { Progress = new StageProgress(progress.Stage, progress.Fraction, progress.Message) }));

        Write(new JobLine { Progress = new StageProgress(JobStage.Storing, 0, "Storing the result...") });
        // Whole in the outbox before the upload starts: it outlives a restart of the edge.
        var bundle = ResultBundles.Of(order.RepoUrl, order.CommitSha, order.TaskId, DateTimeOffset.UtcNow, embedding,
            order.Training, order.CloneSeconds, order.Ref);
        var result = Outbox.Put(order.OutboxRoot, order.TaskId, order.LeaseId, bundle.WriteTo);
        return new JobLine
        {
            Analyzed = new AnalyzeResult(embedding.Graph.Nodes.Count, embedding.Graph.Edges.Count,
                embedding.Embeddings.FinalLoss, result),
        };
    }

    private static JobLine Failure(JobReason reason, string message, bool transient = false) =>
        new() { Error = new JobError(reason, message, transient) };

    /// <summary>One line at a time: progress comes from the clone's and the trainer's threads.</summary>
    private static void Write(JobLine line)
    {
        var text = JobJson.Line(line);
        lock (WriteLock)
        {
            Console.Out.WriteLine(text);
            Console.Out.Flush();
        }
    }
}
