using System.Diagnostics;
using Pharos.Actors.Edge.Jobs;
using Pharos.Api.Contracts;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;
using Pharos.Testing.Git;
using Pharos.Testing.Nodes;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// The job processes a worker runs its stages in: real ones of this build's node executable, and real shell processes
/// that misbehave the ways a job process can (crash, hang, grow, write garbage), watched by the same
/// <see cref="JobProcess"/>.
/// </summary>
public sealed class JobProcessTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private static readonly JobLimits Roomy = new(1L << 30, TimeSpan.FromMinutes(2), 1);
    private readonly GitRepositoryFixture _repos = new();

    public void Dispose() => _repos.Dispose();

    /// <summary>A job process that is <c>sh -c script</c>: the order is on its standard input.</summary>
    private static JobRunner Shell(string script) => new("/bin/sh", ["-c", script, "sh"]);

    private static Task<JobLine> Run(JobRunner runner, JobLimits? limits = null, List<JobLine>? progress = null,
        CancellationToken ct = default, JobKind kind = JobKind.Analyze) =>
        JobProcess.RunAsync(runner, kind, "{}", limits ?? Roomy, line => progress?.Add(line), ct);

    [Fact]
    public void This_build_has_a_node_to_run_jobs_in()
    {
        var runner = JobRunner.Current;
        Assert.NotNull(runner);
        Assert.Contains(runner.Arguments.Concat([runner.FileName]), a => JobRunner.NodeAssemblies.Any(a.Contains));
    }

    [Fact]
    public async Task A_clone_and_an_analysis_run_in_job_processes_and_report_progress_and_their_result()
    {
        var source = _repos.CreateSource("pkg", ("pkg/__init__.py", ""), ("pkg/a.py", "from pkg import b\n"), ("pkg/b.py", "import os\n"));
        var target = _repos.NewTargetPath();
        var cloned = await JobProcess.RunAsync(JobRunner.Current, JobKind.Clone,
            JobJson.Line(new CloneRequest(source, target, 0, TimeSpan.FromMinutes(1), null)), Roomy, _ => { }, CancellationToken.None);
        Assert.Null(cloned.Error);
        Assert.Equal(GitRepositoryFixture.Head(source), cloned.Cloned!.CommitSha);

        var outbox = Path.Combine(_repos.Root, "outbox");
        var progress = new List<JobLine>();
        var order = new AnalyzeOrder(target, source, cloned.Cloned.CommitSha, "task-1", "lease-1", 0.5,
            new Node2VecOptions { Epochs = 2, Dimensions = 8, WalksPerNode = 2, WalkLength = 5, Threads = 1, Seed = 1 }, outbox);
        var analyzed = await JobProcess.RunAsync(JobRunner.Current, JobKind.Analyze, JobJson.Line(order), Roomy, progress.Add,
            CancellationToken.None);

        Assert.Null(analyzed.Error);
        Assert.Equal(3, analyzed.Analyzed!.FilesProcessed);
        Assert.True(File.Exists(analyzed.Analyzed.Result.Path));
        Assert.Equal(Path.GetFullPath(outbox), Path.GetDirectoryName(analyzed.Analyzed.Result.Path));
        Assert.Equal([JobStage.Parsing, JobStage.Training, JobStage.Storing],
            progress.Select(p => p.Progress!.Stage).Distinct());
    }

    [Fact]
    public async Task A_failure_the_job_reports_comes_back_with_its_reason()
    {
        var target = _repos.NewTargetPath();
        var failed = await JobProcess.RunAsync(JobRunner.Current, JobKind.Clone,
            JobJson.Line(new CloneRequest(Path.Combine(_repos.Root, "missing"), target, 0, TimeSpan.FromMinutes(1), null)),
            Roomy, _ => { }, CancellationToken.None);
        Assert.Equal(JobReason.CloneFailed, failed.Error!.Reason);
        Assert.Contains("was not found", failed.Error.Message);
        Assert.False(failed.Error.Transient);
    }

    [Fact]
    public async Task The_analysis_limits_travel_with_the_order_and_a_repository_past_them_fails_as_too_large()
    {
        // Two edges, one allowed.
        var source = _repos.CreateSource("pkg", ("pkg/__init__.py", ""), ("pkg/a.py", "from pkg import b\n"), ("pkg/b.py", "from pkg import a\n"));
        var order = new AnalyzeOrder(source, source, GitRepositoryFixture.Head(source), "task-1", "lease-1", 0,
            new Node2VecOptions { Epochs = 1, Dimensions = 8, Threads = 1 }, Path.Combine(_repos.Root, "outbox"),
            new AnalysisLimits { MaxEdges = 1 });
        var failed = await JobProcess.RunAsync(JobRunner.Current, JobKind.Analyze, JobJson.Line(order), Roomy, _ => { },
            CancellationToken.None);
        Assert.Equal(JobReason.RepositoryTooLarge, failed.Error!.Reason);
        Assert.Equal("The repository is too large to analyse: its imports made 2 edges, over the limit of 1.", failed.Error.Message);
    }

    [Theory]
    [InlineData("SEGV", "crashed (SIGSEGV)")]
    [InlineData("ABRT", "aborted (SIGABRT)")]
    public async Task A_process_that_dies_fails_its_task_as_crashed_with_what_it_said(string signal, string how)
    {
        var last = await Run(Shell($"read -r order; echo 'Stack overflow.' >&2; kill -{signal} $$"));
        Assert.Equal(JobReason.AnalysisCrashed, last.Error!.Reason);
        Assert.Equal($"the analyze process {how}: Stack overflow.", last.Error.Message);
    }

    [Fact]
    public async Task A_process_that_ends_without_its_last_line_has_crashed()
    {
        var progress = new List<JobLine>();
        var last = await Run(Shell("""read -r order; echo '{"progress":{"stage":"parsing","fraction":0,"message":"Parsing..."}}'"""),
            progress: progress);
        Assert.Equal(JobReason.AnalysisCrashed, last.Error!.Reason);
        Assert.Equal("the analyze process crashed (exit code 0)", last.Error.Message);
        Assert.Equal("Parsing...", Assert.Single(progress).Progress!.Message);
    }

    [Theory]
    [InlineData("echo 'this is not json'")]
    [InlineData("head -c 2000000 /dev/zero | tr '\\0' a")]
    public async Task A_process_that_writes_garbage_or_endless_lines_is_stopped(string write)
    {
        var last = await Run(Shell($"read -r order; {write}; sleep 60"));
        Assert.Equal(JobReason.AnalysisCrashed, last.Error!.Reason);
        Assert.Contains("not a job line", last.Error.Message);
    }

    [Fact]
    public async Task A_process_past_its_time_is_killed_and_its_task_fails_as_timed_out()
    {
        var clock = Stopwatch.StartNew();
        var last = await Run(Shell("read -r order; exec sleep 60"), Roomy with { Timeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(JobReason.Timeout, last.Error!.Reason);
        Assert.Contains("PHAROS_ANALYZE_TIMEOUT_SECONDS", last.Error.Message);
        output.WriteLine($"stopped {clock.Elapsed.TotalSeconds:0.00} s after it started, with a 1 s timeout");
    }

    [Fact]
    public async Task A_process_that_grows_past_its_memory_is_killed_and_its_task_fails_for_memory()
    {
        // tail keeps the last line of input that has no line end: it grows until something stops it.
        var last = await Run(Shell("read -r order; exec tail -n 1 /dev/zero"), Roomy with { MemoryBytes = 64L << 20 });
        Assert.Equal(JobReason.MemoryLimit, last.Error!.Reason);
        Assert.Contains("more than 64 MB", last.Error.Message);
    }

    [Fact]
    public async Task An_analysis_that_needs_more_memory_than_it_may_have_fails_for_memory()
    {
        // 200 files, 2,000 walks of 80 steps from each: 128 MB of walks, more than 96 MB, which the managed heap's hard limit
        // or the watchdog stops, whichever comes first.
        var files = Enumerable.Range(0, 200).Select(i => ($"pkg/m{i}.py", $"from pkg import m{(i + 1) % 200}\n")).ToArray();
        var source = _repos.CreateSource("wide", [("pkg/__init__.py", ""), .. files]);
        var order = new AnalyzeOrder(source, source, GitRepositoryFixture.Head(source), "task-1", "lease-1", 0,
            new Node2VecOptions { Epochs = 1, Dimensions = 8, WalksPerNode = 2000, WalkLength = 80, Threads = 1, Seed = 1 },
            Path.Combine(_repos.Root, "outbox"));
        var last = await JobProcess.RunAsync(JobRunner.Current, JobKind.Analyze, JobJson.Line(order),
            Roomy with { MemoryBytes = 96L << 20 }, _ => { }, CancellationToken.None);
        Assert.Equal(JobReason.MemoryLimit, last.Error!.Reason);
        output.WriteLine(last.Error.Message);
    }

    [Fact]
    public async Task A_process_inherits_no_setting_or_secret_and_gets_its_limits()
    {
        var secret = $"PHAROS_TEST_SECRET_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(secret, "hunter2");
        try
        {
            var print = """printf '{"error":{"reason":"training_failed","message":"[%s] %s %s %s"}}\n'""";
            var last = await Run(Shell(
                $"read -r order; {print} \"${{{secret}}}\" \"$DOTNET_GCHeapHardLimit\" \"$DOTNET_PROCESSOR_COUNT\" \"$order\"; exit 1"),
                new JobLimits(400L << 20, TimeSpan.FromMinutes(1), 3));
            Assert.Equal(JobReason.TrainingFailed, last.Error!.Reason);
            Assert.Equal("[] 0x12C00000 3 {}", last.Error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(secret, null);
        }
    }

    [Fact]
    public async Task A_process_limited_to_one_thread_gets_the_tier_up_delay_of_several_processors_and_no_dynamic_pgo()
    {
        var print = """printf '{"error":{"reason":"training_failed","message":"%s %s %s"}}\n'""";
        var last = await Run(Shell($"read -r order; {print} \"$DOTNET_PROCESSOR_COUNT\" \"$DOTNET_TC_DelaySingleProcMultiplier\" \"$DOTNET_TieredPGO\"; exit 1"),
            new JobLimits(400L << 20, TimeSpan.FromMinutes(1), 1));
        Assert.Equal("1 1 0", last.Error!.Message);
    }

    [Fact]
    public async Task A_process_ends_when_its_worker_closes_its_input()
    {
        // What a job process does when the node that started it dies: its standard input closes.
        var info = new ProcessStartInfo(JobRunner.Current!.FileName) { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var a in JobRunner.Current.Arguments.Concat(["job", "analyze"])) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteLineAsync("{\"repositoryDirectory\":\"/nonexistent\"}");
        process.StandardInput.Close();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token);
        Assert.NotEqual(0, process.ExitCode);
    }

    [Fact]
    public async Task Cancelling_kills_the_process_at_once()
    {
        using var cancel = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var progress = new List<JobLine>();
        var run = JobProcess.RunAsync(Shell("""read -r order; echo '{"progress":{"stage":"training","fraction":0.1,"message":"t"}}'; exec sleep 60"""),
            JobKind.Analyze, "{}", Roomy, line => { progress.Add(line); started.TrySetResult(); }, cancel.Token);
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));

        var children = ChildProcesses.Of(Environment.ProcessId, "sleep");
        Assert.NotEmpty(children);
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var stopped = clock.Elapsed;
        Assert.All(children, pid => Assert.False(ChildProcesses.IsRunning(pid), $"job process {pid} still runs"));
        output.WriteLine($"cancel → job process gone in {stopped.TotalMilliseconds:0} ms");
    }
}
