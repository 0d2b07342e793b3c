using Pharos.Actors.Edge.Jobs;
using Pharos.CodeGraph.Training;
using Pharos.Testing.Git;
using Pharos.Testing.Nodes;
using Pharos.Testing.Waiting;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// Job processes started ahead of their orders (<see cref="JobSpares"/>): real processes of this build's node, each
/// started through a shell that notes its process id first, so that a test knows which processes were started, when,
/// and has spares of its own (the program is part of what makes two job processes interchangeable).
/// </summary>
public sealed class JobSparesTests : IDisposable
{
    private static readonly JobLimits Roomy = new(1L << 30, TimeSpan.FromMinutes(2), 1);
    private readonly GitRepositoryFixture _repos = new();

    public void Dispose() => _repos.Dispose();

    /// <summary>This build's node, started through <c>sh</c> that appends its process id to <paramref name="pids"/> first;
    /// <paramref name="before"/> runs in the shell after that.</summary>
    private static JobRunner Noted(string pids, string before = "")
    {
        var node = JobRunner.Current ?? throw new InvalidOperationException("this build has no node to run jobs in");
        return new JobRunner("/bin/sh", ["-c", $"echo $$ >> '{pids}'; {before} exec \"$@\"", "sh", node.FileName, .. node.Arguments]);
    }

    private static int[] Started(string pids) =>
        File.Exists(pids) ? [.. File.ReadAllLines(pids).Where(l => l.Length > 0).Select(int.Parse)] : [];

    private static async Task<int> FirstStartedAsync(string pids)
    {
        await Poll.UntilAsync(() => Started(pids).Length > 0, "the spare to start");
        return Started(pids)[0];
    }

    /// <summary>A three-file package and the order that analyses it.</summary>
    private (string Order, string Outbox) AnalysisOfAPackage(string taskId)
    {
        var source = _repos.CreateSource(taskId, ("pkg/__init__.py", ""), ("pkg/a.py", "from pkg import b\n"), ("pkg/b.py", "import os\n"));
        var outbox = Path.Combine(_repos.Root, "outbox-" + taskId);
        var order = new AnalyzeOrder(source, source, GitRepositoryFixture.Head(source), taskId, "lease-1", 0,
            new Node2VecOptions { Epochs = 2, Dimensions = 8, WalksPerNode = 2, WalkLength = 5, Threads = 1, Seed = 1 }, outbox);
        return (JobJson.Line(order), outbox);
    }

    [Fact]
    public async Task A_spare_warms_up_then_runs_the_order_it_is_given_and_ends()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        var runner = Noted(pids);
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.FromMinutes(1));
        var spare = await FirstStartedAsync(pids);
        Assert.True(ChildProcesses.IsRunning(spare), "the spare waits for its order");
        // Time to warm up (its own tiny repository, in a temporary directory): the order then meets a used runtime.
        await Task.Delay(TimeSpan.FromSeconds(1));

        var (order, outbox) = AnalysisOfAPackage("task-spare");
        var analyzed = await JobProcess.RunAsync(runner, JobKind.Analyze, order, Roomy, _ => { }, CancellationToken.None, takeSpare: true);

        Assert.Null(analyzed.Error);
        Assert.Equal((3, 1), (analyzed.Analyzed!.FilesProcessed, analyzed.Analyzed.Edges));
        // The warm-up's own results stayed in its temporary directory: the outbox holds the order's alone.
        Assert.Equal([analyzed.Analyzed.Result.Path], Directory.GetFiles(outbox));
        Assert.Equal([spare], Started(pids));
        await Poll.UntilAsync(() => !ChildProcesses.IsRunning(spare), "the spare to end after its one order");
    }

    [Fact]
    public async Task A_spare_runs_one_order_only_and_the_next_order_starts_a_process_of_its_own()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        var runner = Noted(pids);
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.FromMinutes(1));
        var spare = await FirstStartedAsync(pids);

        var (first, _) = AnalysisOfAPackage("task-1");
        Assert.Null((await JobProcess.RunAsync(runner, JobKind.Analyze, first, Roomy, _ => { }, CancellationToken.None, takeSpare: true)).Error);
        var (second, _) = AnalysisOfAPackage("task-2");
        Assert.Null((await JobProcess.RunAsync(runner, JobKind.Analyze, second, Roomy, _ => { }, CancellationToken.None, takeSpare: true)).Error);

        var started = Started(pids);
        Assert.Equal(2, started.Length);
        Assert.Equal(spare, started[0]);
    }

    [Fact]
    public async Task A_spare_nobody_takes_ends_when_its_time_is_up()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        JobSpares.Prepare(Noted(pids), JobKind.Clone, Roomy, TimeSpan.FromMilliseconds(300));
        var spare = await FirstStartedAsync(pids);
        await Poll.UntilAsync(() => !ChildProcesses.IsRunning(spare), "the unused spare to end");
    }

    [Fact]
    public async Task One_spare_waits_per_program_stage_and_limits()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        var runner = Noted(pids);
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.FromMinutes(1));
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy with { Timeout = TimeSpan.FromMinutes(5) }, TimeSpan.FromMinutes(1));
        var spare = await FirstStartedAsync(pids);
        Assert.Equal([spare], Started(pids));

        // Another stage, or other limits, is another spare.
        JobSpares.Prepare(runner, JobKind.Clone, Roomy, TimeSpan.FromMinutes(1));
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy with { MemoryBytes = 2L << 30 }, TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(() => Started(pids).Length == 3, "a clone spare and a spare with more memory");
        var (order, _) = AnalysisOfAPackage("task-1");
        Assert.Null((await JobProcess.RunAsync(runner, JobKind.Analyze, order, Roomy, _ => { }, CancellationToken.None, takeSpare: true)).Error);
        Assert.Equal(3, Started(pids).Length);
        await Poll.UntilAsync(() => !ChildProcesses.IsRunning(spare), "the spare that ran the order to end");
        // The two others wait on (and end with this test process, or in a minute).
        Assert.All(Started(pids).Skip(1), pid => Assert.True(ChildProcesses.IsRunning(pid)));
    }

    [Fact]
    public async Task Without_a_spare_time_nothing_starts_ahead_and_a_run_that_takes_no_spare_leaves_one_waiting()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        var runner = Noted(pids);
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.Zero);
        var (order, _) = AnalysisOfAPackage("task-1");
        Assert.Null((await JobProcess.RunAsync(runner, JobKind.Analyze, order, Roomy, _ => { }, CancellationToken.None, takeSpare: true)).Error);
        var cold = Assert.Single(Started(pids));

        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(() => Started(pids).Length == 2, "the spare to start");
        var (next, _) = AnalysisOfAPackage("task-2");
        Assert.Null((await JobProcess.RunAsync(runner, JobKind.Analyze, next, Roomy, _ => { }, CancellationToken.None)).Error);
        Assert.Equal(3, Started(pids).Length);
        Assert.True(ChildProcesses.IsRunning(Started(pids)[1]), "the spare still waits");
        Assert.False(ChildProcesses.IsRunning(cold));
    }

    [Fact]
    public async Task A_spare_that_died_while_it_waited_is_not_given_the_order()
    {
        var pids = Path.Combine(_repos.Root, "pids");
        // A spare that dies as it starts (a job process started for its order does not).
        var runner = Noted(pids, before: """case "$*" in *--spare*) exit 7;; esac;""");
        JobSpares.Prepare(runner, JobKind.Analyze, Roomy, TimeSpan.FromMinutes(1));
        var spare = await FirstStartedAsync(pids);
        await Poll.UntilAsync(() => !ChildProcesses.IsRunning(spare), "the spare to die");

        var (order, _) = AnalysisOfAPackage("task-1");
        var analyzed = await JobProcess.RunAsync(runner, JobKind.Analyze, order, Roomy, _ => { }, CancellationToken.None, takeSpare: true);
        Assert.Null(analyzed.Error);
        Assert.Equal(2, Started(pids).Length);
    }
}
