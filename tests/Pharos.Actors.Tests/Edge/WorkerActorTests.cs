using System.Diagnostics;
using System.Text.RegularExpressions;
using Pharos.Actors.Results;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;
using Pharos.Testing.Git;
using Pharos.Testing.Results;

namespace Pharos.Actors.Tests.Edge;

/// <summary>Registration, assignment, progress, completion and the embeddings a run leaves behind.</summary>
public sealed class WorkerProtocolTests(Xunit.Abstractions.ITestOutputHelper output) : WorkerTestKit(output)
{
    [Fact]
    public void Registers_then_asks_the_queue_that_answered_and_waits_for_WorkAvailable_after_NoWorkAvailable()
    {
        var settings = Settings();
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System, Stages(settings)));

        var register = Proxy.ExpectMsg<RegisterWorker>();
        Assert.Equal(WorkerId, register.WorkerId);
        Assert.Equal(Akka.Cluster.Cluster.Get(Sys).SelfAddress.ToString(), register.Address);
        Assert.Null(register.RunningTaskId);
        Assert.Null(register.RunningLeaseId);
        Queue.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // nothing before the queue answers

        worker.Tell(new WorkerRegistered(WorkerId, register.Challenge), Queue.Ref);
        Assert.Equal(WorkerId, Queue.ExpectMsg<RequestWork>().WorkerId);
        Proxy.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // it talks to the queue itself from now on

        worker.Tell(NoWorkAvailable.Instance, Queue.Ref);
        Queue.ExpectNoMsg(TimeSpan.FromMilliseconds(600)); // no polling
        worker.Tell(WorkAvailable.Instance, Queue.Ref);
        worker.Tell(WorkAvailable.Instance, Queue.Ref);
        Queue.ExpectMsg<RequestWork>();
        Queue.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // one request is outstanding: a second one is not sent
        Assert.Equal(0, CloneSteps);
    }

    [Fact]
    public void A_failure_without_a_cause_from_the_queue_leaves_the_worker_running()
    {
        // Seen when a cloud node was cut from Redis (tests/Pharos.Partition.Tests): the worker crashed on it.
        var settings = Settings();
        var worker = StartRegisteredWorker(settings);
        worker.Tell(new Akka.Actor.Status.Failure(null!), Queue.Ref);
        worker.Tell(NoWorkAvailable.Instance, Queue.Ref);
        worker.Tell(WorkAvailable.Instance, Queue.Ref);
        Queue.ExpectMsg<RequestWork>();
        // A worker that crashed would have been restarted and registered again through the proxy.
        Proxy.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task A_task_goes_through_every_stage_and_completes_with_metrics_and_embeddings_then_a_newer_commit_replaces_them()
    {
        var source = CreatePythonSource("pkgrepo", modules: 12);
        var head = GitRepositoryFixture.Head(source);
        var settings = Settings();
        var worker = StartRegisteredWorker(settings);

        Assign(worker, NewTask(source), "lease-1");
        var reports = ReportsUntilEnd(TimeSpan.FromSeconds(30));

        var progress = reports.OfType<ReportProgress>().ToList();
        Assert.All(progress, p => Assert.Equal(("task-1", "lease-1"), (p.TaskId, p.LeaseId)));
        var stages = progress.Select(p => p.Stage).Distinct().ToList();
        Assert.Equal([JobStage.Cloning, JobStage.Parsing, JobStage.Training, JobStage.Storing, JobStage.Uploading], stages);
        var order = progress.Select(p => stages.IndexOf(p.Stage)).ToList();
        Assert.Equal(order.Order(), order); // never back to an earlier stage

        var completed = Assert.IsType<RecordResult>(reports[^1]);
        Assert.Equal(("task-1", "lease-1"), (completed.TaskId, completed.LeaseId));
        var metrics = completed.Metrics;
        var graph = ImportGraphBuilder.Build(source);
        Assert.Equal(13, graph.Nodes.Count); // the generator's own count: 12 modules and __init__.py
        Assert.Equal(head, metrics.CommitSha);
        Assert.Equal(graph.Nodes.Count, metrics.FilesProcessed);
        Assert.Equal(graph.Edges.Count, metrics.Edges);
        Assert.True(metrics.Edges >= 12, $"edges {metrics.Edges}");
        Assert.Equal(graph.Nodes.Count, metrics.EmbeddingsGenerated);
        Assert.True(double.IsFinite(metrics.FinalLoss) && metrics.FinalLoss > 0, $"final loss {metrics.FinalLoss}");
        var seconds = metrics.StageSeconds;
        // All set; a stage of this tiny run may well take under the millisecond the figures are rounded to.
        Assert.All(new[] { seconds.Clone, seconds.Parse, seconds.Train },
            s => Assert.True(s is >= 0 and < 30, $"stage seconds {s}"));
        Assert.True(seconds.Clone > 0, $"clone {seconds.Clone}");
        Assert.Equal(settings.Training.Dimensions, metrics.Dims);
        // The result lives in the cloud: nothing of it stays on the edge.
        Assert.False(Directory.Exists(Path.Combine(DataDir, "embeddings")), "the edge kept embeddings of its own");

        // Completed only once the cloud's store had the result: the graph, and a vector for every file.
        var stored = await ResultStore.GetAsync(source);
        Assert.NotNull(stored);
        Assert.Equal((head, "task-1"), (stored.Header.CommitSha, stored.Header.TaskId));
        Assert.Equal(graph.Nodes, stored.Header.Graph.Nodes);
        Assert.Equal(13 * settings.Training.Dimensions, stored.Vectors.Length);
        Assert.Empty(Pharos.Actors.Results.Outbox.Pending(Path.Combine(DataDir, "outbox")));

        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();
        Assert.Equal((1, 1), (CloneSteps, TrainSteps));

        // A newer commit of the same repository: its result replaces the older one in the cloud (PHAROS_RESULTS_KEEP=1).
        GitRepositoryFixture.Commit(source, "pkg/extra.py", "from pkg import mod001\n"u8.ToArray());
        var newer = GitRepositoryFixture.Head(source);
        Assign(worker, NewTask(source, id: "task-2"), "lease-2");
        var second = Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(newer, second.Metrics.CommitSha);
        Assert.Equal(14, second.Metrics.FilesProcessed);
        Assert.Equal(newer, Assert.Single(await ResultStore.ListAsync()).CommitSha);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();
    }

    [Fact]
    public async Task A_task_over_git_daemon_completes_too()
    {
        var source = CreatePythonSource("overdaemon", modules: 8);
        using var daemon = await GitDaemon.StartAsync(Repos.Root);
        var worker = StartRegisteredWorker(Settings());

        Assign(worker, NewTask(daemon.UrlFor("overdaemon")), "lease-d");
        var completed = Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(GitRepositoryFixture.Head(source), completed.Metrics.CommitSha);
        Assert.Equal(9, completed.Metrics.FilesProcessed);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_legacy_task_without_submitted_at_is_never_stale_and_is_processed()
    {
        var source = CreatePythonSource("legacy", modules: 6);
        // A clock a century after anything: every task with a timestamp and a TTL of a second would be stale.
        var clock = new ManualClock(new DateTimeOffset(2126, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var worker = StartRegisteredWorker(Settings(), clock: clock);

        Assign(worker, new WorkTask("legacy-1", source, Priority.Normal, SubmittedAt: null, TtlSeconds: 1, Attempt: 1), "lease-l");
        var reports = ReportsUntilEnd(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(reports, r => r is ReportSkipped);
        var completed = Assert.IsType<RecordResult>(reports[^1]);
        Assert.Equal(GitRepositoryFixture.Head(source), completed.Metrics.CommitSha);
        Assert.Equal(1, CloneSteps);
    }

    [Fact]
    public void When_the_queue_it_registered_with_dies_it_registers_again_naming_the_running_lease()
    {
        var settings = Settings();
        // A clone that never ends: the run is still in its first stage when the queue goes.
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (_, _) => Props.Create(() => new SilentActor())));
        Assign(worker, NewTask("/nowhere/at/all", id: "task-q"), "lease-q");
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);

        Sys.Stop(Queue.Ref);
        var again = Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(5));
        Assert.Equal((WorkerId, "task-q", "lease-q"), (again.WorkerId, again.RunningTaskId, again.RunningLeaseId));
    }

    private sealed class SilentActor : ReceiveActor;
}

/// <summary>The worker registers again every ~5 s until someone answers.</summary>
public sealed class WorkerRegistrationRetryTests : WorkerTestKit
{
    [Fact]
    public void Registers_again_when_nobody_answers_within_about_five_seconds()
    {
        var settings = Settings();
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System, Stages(settings)));
        Proxy.ExpectMsg<RegisterWorker>();
        var clock = Stopwatch.StartNew();
        var again = Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(8));
        var waited = clock.Elapsed;
        Assert.Equal(WorkerId, again.WorkerId);
        Assert.True(waited > TimeSpan.FromSeconds(4) && waited < TimeSpan.FromSeconds(6.5), $"registered again after {waited}");

        worker.Tell(new WorkerRegistered(WorkerId, again.Challenge), Queue.Ref);
        Queue.ExpectMsg<RequestWork>();
    }
}

/// <summary>StopTask: an old lease's is ignored, the current one's stops training within 2 s and discards it.</summary>
/// <summary>Results that outlive a run: left in the outbox by a restart, or refused because the lease was lost.</summary>
public sealed class WorkerOutboxTests(Xunit.Abstractions.ITestOutputHelper output) : WorkerTestKit(output)
{
    [Fact]
    public async Task Results_left_in_the_outbox_by_an_earlier_run_are_delivered_one_by_one_before_the_worker_registers()
    {
        var settings = Settings();
        var outbox = settings.OutboxRoot;
        var first = Outbox.Put(outbox, "task-a", "lease-a", ResultSamples.Bundle("https://github.com/o/a", "ca", "task-a").WriteTo);
        File.SetLastWriteTimeUtc(first.Path, DateTime.UtcNow.AddMinutes(-1));
        Outbox.Put(outbox, "task-b", "lease-b", ResultSamples.Bundle("https://github.com/o/b", "cb", "task-b").WriteTo);
        _ = ResultStore;
        HoldRecords = true;

        Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System, Stages(settings)));

        // Oldest first, each stored and recorded before the next; the worker takes no work meanwhile.
        Assert.Equal(("task-a", "lease-a"), Recorded());
        Assert.Equal(WorkerState.Busy, NextStatus(s => s.Stage == JobStage.Uploading).State);
        Proxy.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        ReleaseRecords();
        Assert.Equal(("task-b", "lease-b"), Recorded());
        Proxy.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        ReleaseRecords();

        var register = Proxy.ExpectMsg<RegisterWorker>(TimeSpan.FromSeconds(10));
        Assert.Null(register.RunningLeaseId);
        Assert.Equal(["https://github.com/o/b", "https://github.com/o/a"], (await ResultStore.ListAsync()).Select(r => r.RepoUrl));
        Assert.Empty(Outbox.Pending(outbox));
    }

    [Fact]
    public async Task A_result_whose_lease_was_lost_is_dropped_without_a_report_and_the_worker_takes_new_work()
    {
        QueueVerdict = DeliveryOutcome.LeaseLost;
        var source = CreatePythonSource("lostrepo", modules: 5);
        var settings = Settings();
        var worker = StartRegisteredWorker(settings);

        Assign(worker, NewTask(source), "lease-old");

        // Everything the queue hears until the worker asks for more work.
        var heard = new List<object>();
        while (Queue.ExpectMsg<object>(TimeSpan.FromSeconds(30)) is var message && message is not RequestWork) heard.Add(message);
        Assert.Contains(heard, m => m is MayDeliver { LeaseId: "lease-old" });
        Assert.DoesNotContain(heard, m => m is ReportFailed or RecordResult);
        Assert.Empty(await ResultStore.ListAsync());
        Assert.Empty(Outbox.Pending(settings.OutboxRoot));
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    private (string TaskId, string LeaseId) Recorded()
    {
        var record = Queue.FishForMessage<RecordResult>(_ => true, TimeSpan.FromSeconds(20));
        return (record.TaskId, record.LeaseId);
    }
}

public sealed class WorkerCancellationTests(Xunit.Abstractions.ITestOutputHelper output) : WorkerTestKit(output)
{
    [Fact]
    public async Task StopTask_of_an_old_lease_is_ignored_and_of_the_current_lease_stops_training_within_two_seconds()
    {
        var source = CreatePythonSource("longrun", modules: 300, extraImports: 3);
        var worker = StartRegisteredWorker(Settings(LongTraining));

        Assign(worker, NewTask(source, id: "task-c"), "lease-new");
        Queue.FishForMessage<ReportProgress>(p => p.Stage == JobStage.Training, TimeSpan.FromSeconds(30));
        NextStatus(s => s.Stage == JobStage.Training && s.Progress > 0, TimeSpan.FromSeconds(10));

        // An old lease of the same task: ignored, training goes on.
        worker.Tell(new StopTask("task-c", "lease-old", LeaseEndReason.LeaseExpired), Queue.Ref);
        var stopped = Stopwatch.StartNew();
        var later = NextStatus(_ => true, TimeSpan.FromSeconds(3));
        Assert.Equal((WorkerState.Busy, JobStage.Training), (later.State, later.Stage));
        // ... and the current lease of another task id is no match either.
        worker.Tell(new StopTask("task-other", "lease-new", LeaseEndReason.Cancelled), Queue.Ref);
        later = NextStatus(_ => true, TimeSpan.FromSeconds(3));
        Assert.Equal((WorkerState.Busy, JobStage.Training), (later.State, later.Stage));
        Assert.True(Directory.EnumerateFileSystemEntries(WorkRoot).Any(), "the clone is still there while training runs");

        worker.Tell(new StopTask("task-c", "lease-new", LeaseEndReason.Cancelled), Queue.Ref);
        stopped.Restart();
        var idle = NextStatus(s => s.State != WorkerState.Busy, TimeSpan.FromSeconds(2));
        Assert.Equal(WorkerState.Idle, idle.State);
        Assert.Null(idle.TaskId);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(2) - stopped.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));

        var afterStop = Queue.FishForMessage<object>(m => m is RequestWork or RecordResult or ReportFailed, TimeSpan.FromSeconds(2));
        Assert.IsType<RequestWork>(afterStop);
        // Nothing of the cancelled run arrives later: no report, no busy status, no embeddings.
        Queue.ExpectNoMsg(TimeSpan.FromSeconds(1.5));
        Assert.DoesNotContain(Mediator.ReceiveWhile<object>(TimeSpan.FromMilliseconds(100), m => m),
            m => m is Publish { Message: WorkerStatusChanged { State: WorkerState.Busy } });
        Assert.Empty(await ResultStore.ListAsync());
        Assert.Empty(Pharos.Actors.Results.Outbox.Pending(Path.Combine(DataDir, "outbox")));
        Assert.True(WorkRootIsEmpty());
    }

    [Fact]
    public async Task StopTask_while_cloning_stops_the_clone_and_cleans_up()
    {
        using var repos = new GitRepositoryFixture();
        var big = repos.CreateRandomSource("big", fileCount: 16, bytesEach: 256 * 1024);
        await using var http = await SmartHttpGitServer.StartAsync(repos.Root);
        using var stalled = new ManualResetEventSlim();
        var stall = http.StallRequests(stalled.Set);
        var worker = StartRegisteredWorker(Settings());

        Assign(worker, NewTask(http.UrlFor("big"), id: "task-s"), "lease-s");
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);
        Assert.True(stalled.Wait(TimeSpan.FromSeconds(10)), "the clone never reached the server");

        worker.Tell(new StopTask("task-s", "lease-s", LeaseEndReason.Cancelled), Queue.Ref);
        var clock = Stopwatch.StartNew();
        Assert.Equal(WorkerState.Idle, NextStatus(s => s.State != WorkerState.Busy, TimeSpan.FromSeconds(2)).State);
        Assert.IsType<RequestWork>(Queue.FishForMessage<object>(m => m is RequestWork or RecordResult or ReportFailed,
            TimeSpan.FromSeconds(2)));
        stall.Dispose();
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Queue.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        _ = big;
    }
}

/// <summary>Clone failures: permanent ones fail the task at once, transient ones are retried with backoff.</summary>
public sealed class WorkerCloneFailureTests : WorkerTestKit
{
    [Fact]
    public void A_repository_that_does_not_exist_fails_with_clone_failed_without_retries()
    {
        var worker = StartRegisteredWorker(Settings());
        var missing = Path.Combine(Repos.Root, "no-such-repository");

        Assign(worker, NewTask(missing), "lease-m");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal(("task-1", "lease-m", JobReason.CloneFailed), (failed.TaskId, failed.LeaseId, failed.Reason));
        Assert.Contains("not found", failed.Error);
        Assert.Equal((1, 0), (CloneSteps, TrainSteps));

        var status = NextStatus(s => s.State != WorkerState.Busy);
        Assert.Equal(WorkerState.Error, status.State);
        Assert.Equal(failed.Error, status.Message);
        Assert.Equal("task-1", status.TaskId);
        Queue.ExpectMsg<RequestWork>();
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_repository_missing_on_a_smart_http_server_fails_with_clone_failed_without_retries()
    {
        CreatePythonSource("present", modules: 2);
        await using var http = await SmartHttpGitServer.StartAsync(Repos.Root);
        var worker = StartRegisteredWorker(Settings());

        Assign(worker, NewTask(http.UrlFor("absent")), "lease-h");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal(JobReason.CloneFailed, failed.Reason);
        Assert.Equal(1, CloneSteps);
        Queue.ExpectMsg<RequestWork>();
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_the_task_completes()
    {
        var source = CreatePythonSource("flaky", modules: 5);
        await using var http = await SmartHttpGitServer.StartAsync(Repos.Root);
        http.ForcedStatus = 503;
        var settings = Settings();
        // The server recovers just before the third attempt.
        var stages = Stages(settings, clone: (order, n) =>
        {
            if (n == 3) http.ForcedStatus = null;
            return CloneActor.Props(order, settings, LocalValidator);
        });
        var worker = StartRegisteredWorker(settings, stages);

        Assign(worker, NewTask(http.UrlFor("flaky")), "lease-f");
        var reports = ReportsUntilEnd(TimeSpan.FromSeconds(30));
        var completed = Assert.IsType<RecordResult>(reports[^1]);
        Assert.Equal(GitRepositoryFixture.Head(source), completed.Metrics.CommitSha);
        Assert.Equal((3, 1), (CloneSteps, TrainSteps));
        Assert.DoesNotContain(reports, r => r is ReportFailed);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();
    }

    [Fact]
    public async Task A_transient_failure_past_the_retry_count_fails_the_task()
    {
        CreatePythonSource("down", modules: 2);
        await using var http = await SmartHttpGitServer.StartAsync(Repos.Root);
        http.ForcedStatus = 503;
        var settings = Settings() with { CloneRetries = 2 };
        var worker = StartRegisteredWorker(settings);

        Assign(worker, NewTask(http.UrlFor("down")), "lease-x");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(JobReason.CloneFailed, failed.Reason);
        Assert.Contains("503", failed.Error);
        Assert.Equal((3, 0), (CloneSteps, TrainSteps));
        Assert.Equal(WorkerState.Error, NextStatus(s => s.State != WorkerState.Busy).State);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();
    }
}

/// <summary>A child that crashes fails the task and never the worker.</summary>
public sealed class WorkerCrashTests : WorkerTestKit
{
    [Fact]
    public void A_train_step_that_crashes_fails_the_task_and_the_worker_goes_on_to_complete_the_next()
    {
        var source = CreatePythonSource("crash", modules: 4);
        var settings = Settings();
        var stages = Stages(settings, train: (order, n) => n == 1 ? CrashingActor.Props() : TrainActor.Props(order, settings));
        var worker = StartRegisteredWorker(settings, stages);
        Watch(worker);

        Assign(worker, NewTask(source, id: "task-crash"), "lease-1");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal(("task-crash", JobReason.TrainingFailed), (failed.TaskId, failed.Reason));
        Assert.False(string.IsNullOrWhiteSpace(failed.Error));
        var status = NextStatus(s => s.State != WorkerState.Busy);
        Assert.Equal((WorkerState.Error, failed.Error), (status.State, status.Message));
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();

        Assign(worker, NewTask(source, id: "task-next"), "lease-2");
        var completed = Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal("task-next", completed.TaskId);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no Terminated of the worker
    }

    [Fact]
    public void A_job_process_that_dies_fails_its_task_as_crashed_once_and_the_worker_goes_on_to_complete_the_next()
    {
        var source = CreatePythonSource("overflow", modules: 4);
        var settings = Settings();
        // What a parser overflowing its stack does to the process it runs in.
        var overflowing = settings with
        {
            JobRunner = new Pharos.Actors.Edge.Jobs.JobRunner("/bin/sh",
                ["-c", "read -r order; echo 'Stack overflow.' >&2; kill -ABRT $$", "sh"]),
        };
        var stages = Stages(settings, train: (order, n) => TrainActor.Props(order, n == 1 ? overflowing : settings));
        var worker = StartRegisteredWorker(settings, stages);

        Assign(worker, NewTask(source, id: "task-poison"), "lease-1");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(("task-poison", JobReason.AnalysisCrashed), (failed.TaskId, failed.Reason));
        Assert.Equal("the analyze process aborted (SIGABRT): Stack overflow.", failed.Error);
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
        Queue.ExpectMsg<RequestWork>();

        Assign(worker, NewTask(source, id: "task-next"), "lease-2");
        Assert.Equal("task-next", Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]).TaskId);
    }

    [Fact]
    public void A_clone_step_that_crashes_fails_the_task_with_clone_failed()
    {
        var settings = Settings();
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (_, _) => CrashingActor.Props()));

        Assign(worker, NewTask("/does/not/matter"), "lease-c");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal(JobReason.CloneFailed, failed.Reason);
        Queue.ExpectMsg<RequestWork>();
    }
}

/// <summary>Live status: every stage change, at most every 500 ms within a stage, errors, and on request.</summary>
public sealed class WorkerStatusTests(Xunit.Abstractions.ITestOutputHelper log) : WorkerTestKit
{
    [Fact]
    public void Publishes_on_every_stage_change_and_at_most_every_500_ms_within_a_stage()
    {
        var source = CreatePythonSource("statusrepo", modules: 150, extraImports: 2);
        var worker = StartRegisteredWorker(Settings(LongTraining));

        Assign(worker, NewTask(source, id: "task-st"), "lease-st");
        var seen = new List<WorkerStatusChanged>();
        while (true)
        {
            var status = NextStatus(_ => true, TimeSpan.FromSeconds(30));
            seen.Add(status);
            if (status.State != WorkerState.Busy) break;
        }
        Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(5))[^1]);
        foreach (var s in seen) log.WriteLine($"{s.At:HH:mm:ss.fff} {s.State.ToName()} {s.Stage?.ToName()} {s.Progress} {s.Message}");

        Assert.Equal(WorkerState.Idle, seen[^1].State);
        var busy = seen.Where(s => s.State == WorkerState.Busy).ToList();
        Assert.All(busy, s => Assert.Equal(("task-st", source), (s.TaskId, s.RepoUrl)));
        var stages = busy.Select(s => s.Stage).Distinct().ToList();
        Assert.Equal([JobStage.Cloning, JobStage.Parsing, JobStage.Training, JobStage.Storing, JobStage.Uploading], stages);
        Assert.All(busy, s => Assert.InRange(s.Progress ?? -1, 0, 1));

        // Within one stage, consecutive publications are at least StatusInterval apart (small tolerance).
        var within = busy.Zip(busy.Skip(1), (first, second) => (First: first, Second: second)).Where(p => p.First.Stage == p.Second.Stage).ToList();
        Assert.True(within.Count >= 2, $"only {within.Count} publications within a stage: the run was too short to tell");
        Assert.All(within, p => Assert.True(p.Second.At - p.First.At >= TimeSpan.FromMilliseconds(450),
            $"{p.First.Message} at {p.First.At:ss.fff} then {p.Second.Message} at {p.Second.At:ss.fff}"));
        Assert.Contains(busy, s => s.Stage == JobStage.Training && Regex.IsMatch(s.Message ?? "", @"^Training\.\.\. [1-9]\d*%"));
        // And not only on stage changes: progress within training is published too.
        Assert.True(busy.Count(s => s.Stage == JobStage.Training) >= 2, "training progress was never published");

        // A status request is answered at once, throttle or not.
        worker.Tell(WorkerStatusRequested.Instance);
        var answer = NextStatus(_ => true, TimeSpan.FromMilliseconds(300));
        Assert.Equal(WorkerState.Idle, answer.State);
        worker.Tell(WorkerStatusRequested.Instance);
        Assert.Equal(WorkerState.Idle, NextStatus(_ => true, TimeSpan.FromMilliseconds(300)).State);
    }

    [Fact]
    public void Subscribes_to_status_requests_and_answers_one_while_busy_with_its_current_stage()
    {
        var settings = Settings();
        var worker = Sys.ActorOf(WorkerActor.Props(settings, Proxy.Ref, Mediator.Ref, TimeProvider.System,
            Stages(settings, clone: (_, _) => Props.Create(() => new SilentActor()))));
        var subscribe = Mediator.ExpectMsg<Subscribe>();
        Assert.Equal((Topics.WorkerStatusRequests, worker), (subscribe.Topic, subscribe.Ref));
        var registration = Proxy.ExpectMsg<RegisterWorker>();
        worker.Tell(new WorkerRegistered(WorkerId, registration.Challenge), Queue.Ref);
        Queue.ExpectMsg<RequestWork>();

        Assign(worker, NewTask("/any/where", id: "task-r"), "lease-r");
        Assert.Equal(JobStage.Cloning, NextStatus(s => s.State == WorkerState.Busy).Stage);
        worker.Tell(WorkerStatusRequested.Instance);
        var answer = NextStatus(_ => true, TimeSpan.FromMilliseconds(300));
        Assert.Equal((WorkerState.Busy, JobStage.Cloning, "task-r"), (answer.State, answer.Stage, answer.TaskId));
    }

    private sealed class SilentActor : ReceiveActor;
}

/// <summary>The edge's scratch space and the embeddings' file names.</summary>
public sealed class WorkDirectoryAndSlugTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pharos-purge-").FullName;

    [Fact]
    public void PurgeLeftovers_deletes_what_a_crash_left_including_read_only_git_files_and_never_follows_links()
    {
        var work = Path.Combine(_root, "work");
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        var precious = Path.Combine(outside, "precious.txt");
        File.WriteAllText(precious, "keep me");
        File.SetAttributes(precious, FileAttributes.ReadOnly);

        // Two attempts' directories as a killed process leaves them: a real clone (read-only pack files) and a
        // half-written tree with a symbolic link out of the work directory.
        using var repos = new GitRepositoryFixture();
        var source = repos.CreateSource("left", ("a.py", "import b\n"), ("b.py", "x = 1\n"));
        var clone = WorkDirectories.NewAttempt(work, "task-1", 1);
        RepositoryCloner.Clone(new CloneRequest(source, clone, 0, TimeSpan.FromMinutes(1), null), null, CancellationToken.None);
        Assert.Contains(Directory.EnumerateFiles(Path.Combine(clone, ".git"), "*", SearchOption.AllDirectories),
            f => (File.GetAttributes(f) & FileAttributes.ReadOnly) != 0);
        var half = WorkDirectories.NewAttempt(work, "task-2", 2);
        Directory.CreateDirectory(Path.Combine(half, "deep", "er"));
        File.WriteAllText(Path.Combine(half, "deep", "er", "file.py"), "pass\n");
        File.SetAttributes(Path.Combine(half, "deep", "er", "file.py"), FileAttributes.ReadOnly);
        Directory.CreateSymbolicLink(Path.Combine(half, "link-to-outside"), outside);
        Directory.CreateSymbolicLink(Path.Combine(half, "deep", "file-link"), precious);

        Assert.Equal(2, WorkDirectories.PurgeLeftovers(work));
        Assert.True(Directory.Exists(work));
        Assert.Empty(Directory.EnumerateFileSystemEntries(work));
        Assert.Equal("keep me", File.ReadAllText(precious));
        Assert.NotEqual((FileAttributes)0, File.GetAttributes(precious) & FileAttributes.ReadOnly);

        Assert.Equal(0, WorkDirectories.PurgeLeftovers(work));
        Assert.Equal(0, WorkDirectories.PurgeLeftovers(Path.Combine(_root, "never-made")));
    }

    [Fact]
    public void NewAttempt_gives_a_fresh_directory_every_time()
    {
        var a = WorkDirectories.NewAttempt("/data/work", "t1", 1);
        var b = WorkDirectories.NewAttempt("/data/work", "t1", 1);
        Assert.NotEqual(a, b);
        Assert.StartsWith("/data/work/t1-a1-", a);
    }

    /// <summary>Checkouts are named as `git clone` names them, so package-rooted repositories parse the same.</summary>
    [Theory]
    [InlineData("https://github.com/networkx/networkx", "networkx")]
    [InlineData("https://github.com/owner/Repo.git", "Repo")]
    [InlineData("git@github.com:owner/repo.git", "repo")]
    [InlineData("git://127.0.0.1:9418/pkg/", "pkg")]
    [InlineData("/tmp/pharos-git-1/small", "small")]
    [InlineData("/tmp/..", "repository")]
    [InlineData("https://github.com/o/r$(x)", "rx")]
    public void Checkout_names(string url, string name) => Assert.Equal(name, WorkDirectories.CheckoutName(url));

    public void Dispose()
    {
        try { WorkDirectories.Delete(_root); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
