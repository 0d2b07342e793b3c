using System.Collections.Concurrent;
using Pharos.Actors.Edge.Jobs;
using Pharos.Actors.Ingest;
using Pharos.Testing.Git;
using Pharos.Testing.Net;

namespace Pharos.Actors.Tests.Edge;

/// <summary>
/// What the edge decides on its own before and during a clone: its allow-list (the same settings as the cloud's),
/// names that do not resolve, and whether the task may use the edge's git credentials.
/// </summary>
public sealed class WorkerClonePolicyTests : WorkerTestKit
{
    private const string GitToken = "edge-git-token-0f3c9a-never-sent-unasked";

    // The loopback server is the token's host here (plain http to loopback carries it while local repositories are allowed).
    private WorkerSettings WithToken() => Settings() with { GitToken = GitToken, GitTokenHosts = ["127.0.0.1"] };

    [Theory]
    [InlineData("https://github.com:8443/pharos/sample", "refused to clone: port 8443 is not allowed; https allows 443")]
    [InlineData("https://example.org/pharos/sample", "refused to clone: host 'example.org' is not in the allowed hosts")]
    [InlineData("http://github.com/pharos/sample", "refused to clone: scheme 'http' is not allowed; allowed: https")]
    public void A_task_the_edges_own_policy_refuses_fails_once_with_the_reason_and_no_clone(string url, string reason)
    {
        var settings = Settings();
        var validator = new RepoUrlValidator(RepoUrlPolicy.Default, TestDns.AllPublic);
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (order, _) => CloneActor.Props(order, settings, validator)));

        Assign(worker, NewTask(url), "lease-p");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal(JobReason.CloneFailed, failed.Reason);
        Assert.StartsWith(reason, failed.Error);
        Assert.Equal(1, CloneSteps); // final: not tried again
        Queue.ExpectMsg<RequestWork>();
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void A_local_repository_that_is_not_there_fails_without_a_job_process()
    {
        // A job "process" that leaves a mark and fails: it runs for the repository that exists, never for the missing one.
        var marks = Path.Combine(DataDir, "job-started");
        var settings = Settings() with { JobRunner = new JobRunner("/bin/sh", ["-c", $"echo x >> '{marks}'; exit 1", "sh"]) };
        var worker = StartRegisteredWorker(settings);

        var missing = Path.Combine(DataDir, "no-such-repo");
        Assign(worker, NewTask(missing), "lease-m");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.Equal((JobReason.CloneFailed, $"repository {missing} was not found"), (failed.Reason, failed.Error));
        Assert.False(File.Exists(marks), "a job process was started for a repository that is not there");
        Queue.ExpectMsg<RequestWork>();

        Assign(worker, NewTask(CreatePythonSource("present", modules: 2), id: "task-2"), "lease-e");
        Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(20))[^1]);
        Assert.True(File.Exists(marks), "the job runner was not used for a repository that exists");
    }

    [Fact]
    public void A_host_the_edge_cannot_resolve_is_retried_then_fails_saying_so()
    {
        var settings = Settings() with { CloneRetries = 2 };
        var validator = new RepoUrlValidator(RepoUrlPolicy.Default, new TestDns().Unresolvable("github.com").Resolver);
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (order, _) => CloneActor.Props(order, settings, validator)));

        Assign(worker, NewTask("https://github.com/pharos/sample"), "lease-u");
        var failed = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(JobReason.CloneFailed, failed.Reason);
        Assert.Equal("refused to clone: host 'github.com' could not be resolved; try again later", failed.Error);
        Assert.Equal((3, 0), (CloneSteps, TrainSteps));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_tasks_grant_reaches_the_clone_order(bool granted)
    {
        var settings = Settings();
        var orders = new ConcurrentQueue<CloneOrder>();
        var worker = StartRegisteredWorker(settings, Stages(settings, clone: (order, _) =>
        {
            orders.Enqueue(order);
            return Props.Create(() => new SilentActor());
        }));

        Assign(worker, NewTask("/nowhere/at/all") with { PrivateRepos = granted }, "lease-g");
        Assert.Equal(JobStage.Cloning, Queue.ExpectMsg<ReportProgress>().Stage);
        AwaitCondition(() => !orders.IsEmpty, TimeSpan.FromSeconds(5));
        Assert.Equal(granted, Assert.Single(orders).UseCredentials);
    }

    /// <summary>
    /// A real smart HTTP server on loopback that answers 401 without the token: a task with the grant clones with the
    /// edge's token and completes; one without it is cloned anonymously and fails on authentication, once.
    /// </summary>
    [Fact]
    public async Task Only_a_task_with_the_grant_is_cloned_with_the_edges_token()
    {
        var source = CreatePythonSource("private", modules: 4);
        await using var http = await SmartHttpGitServer.StartAsync(Repos.Root, requiredToken: GitToken);
        var worker = StartRegisteredWorker(WithToken());

        Assign(worker, NewTask(http.UrlFor("private"), id: "task-anon"), "lease-a");
        var refused = Assert.IsType<ReportFailed>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(JobReason.CloneFailed, refused.Reason);
        Assert.Contains("authentication", refused.Error);
        Assert.DoesNotContain(GitToken, refused.Error);
        Assert.Equal(1, CloneSteps);
        Queue.ExpectMsg<RequestWork>();

        Assign(worker, NewTask(http.UrlFor("private"), id: "task-granted") with { PrivateRepos = true }, "lease-b");
        var completed = Assert.IsType<RecordResult>(ReportsUntilEnd(TimeSpan.FromSeconds(30))[^1]);
        Assert.Equal(("task-granted", GitRepositoryFixture.Head(source)), (completed.TaskId, completed.Metrics.CommitSha));
        AwaitWorkRootEmpty(TimeSpan.FromSeconds(5));
    }

    private sealed class SilentActor : ReceiveActor;
}
