using FsCheck;
using Pharos.Messages.Events;

namespace Pharos.Actors.Tests.Queue;

/// <summary>
/// Job numbers (the original Pharos's <c>job_id</c>) and refs, stated over the queue's rules and state: a number is
/// unique and stable for its task, through recovery from events and from snapshots, old ones included; tasks of one
/// repository are duplicates only at the same ref.
/// </summary>
public sealed class JobNumberAndRefProperties
{
    private static readonly string?[] Refs = [null, "main", "v1.0", "feature/x", "0123456789abcdef0123456789abcdef01234567"];

    /// <summary>A submission (repository 0..3, one of <see cref="Refs"/>), or a cancellation of the n-th task issued.</summary>
    private sealed record Step(bool Cancel, int Repo, int Ref, int Target);

    private static Arbitrary<Step[]> Steps() =>
        Gen.ArrayOf(
                from cancel in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
                from repo in Gen.Choose(0, 3)
                from gitRef in Gen.Choose(0, Refs.Length - 1)
                from target in Gen.Choose(0, 40)
                select new Step(cancel, repo, gitRef, target))
            .Where(steps => steps.Length <= 60)
            .ToArbitrary();

    private static QueueDriver Run(Step[] steps, int history = 1_000)
    {
        var driver = new QueueDriver(historySize: history);
        foreach (var step in steps)
        {
            driver.Now = driver.Now.AddSeconds(1);
            if (step.Cancel)
                driver.Send(new CancelJob($"t{step.Target % Math.Max(1, driver.TasksIssued):D3}", "test"));
            else
                driver.Send(new EnqueueTask($"https://github.com/o/r{step.Repo}", Priority.Normal, "test", Ref: Refs[step.Ref]));
        }
        return driver;
    }

    private static QueueState Replay(IEnumerable<IPersistedEvent> events, int history = 1_000, QueueSnapshot? from = null)
    {
        var state = new QueueState(1_000, history, QueueSettings.Default.MaxAttempts);
        if (from is not null) state.Restore(from);
        foreach (var e in events) state.Apply(e);
        return state;
    }

    private static List<(string TaskId, long? Number)> Numbers(QueueState state) =>
        [.. state.Jobs(1_000, null).Select(job => (job.TaskId, job.JobNumber)).OrderBy(j => j.TaskId, StringComparer.Ordinal)];

    [Property(MaxTest = 200)]
    public Property Job_numbers_are_unique_increasing_and_find_their_job() =>
        Prop.ForAll(Steps(), steps =>
        {
            var state = Run(steps).State;
            var jobs = state.Jobs(1_000, null).OrderBy(j => j.TaskId, StringComparer.Ordinal).ToList();
            var numbers = jobs.Select(j => j.JobNumber!.Value).ToList();
            // Task ids are issued in order, so numbers must rise with them.
            return numbers.SequenceEqual(numbers.Order()) && numbers.Distinct().Count() == numbers.Count
                   && jobs.All(j => state.FindByIdOrNumber(j.JobNumber!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)) == j)
                   && (numbers.Count == 0 || state.NextJobNumber > numbers[^1]);
        });

    [Property(MaxTest = 200)]
    public Property Job_numbers_survive_recovery_from_events_and_from_a_snapshot_taken_anywhere() =>
        Prop.ForAll(Steps(), Gen.Choose(0, 1_000).ToArbitrary(), (steps, cut) =>
        {
            var driver = Run(steps);
            var events = driver.Written;
            var at = events.Count == 0 ? 0 : cut % (events.Count + 1);
            var snapshot = Replay(events.Take(at)).ToSnapshot();
            var fromSnapshot = Replay(events.Skip(at), from: snapshot);
            return Numbers(Replay(events)).SequenceEqual(Numbers(driver.State))
                   && Numbers(fromSnapshot).SequenceEqual(Numbers(driver.State))
                   && fromSnapshot.NextJobNumber == driver.State.NextJobNumber;
        });

    [Property(MaxTest = 200)]
    public Property A_number_is_never_given_again_after_its_job_left_the_history() =>
        Prop.ForAll(Steps(), steps =>
        {
            // A history of 2: finished jobs are dropped, and with them their numbers' entries.
            var driver = Run(steps, history: 2);
            var given = driver.Written.OfType<TaskEnqueued>().Select(e => e.JobNumber!.Value).ToList();
            return given.Distinct().Count() == given.Count && given.SequenceEqual(given.Order());
        });

    [Property(MaxTest = 200)]
    public Property A_task_is_a_duplicate_only_of_an_active_task_of_the_same_repository_and_ref() =>
        Prop.ForAll(Steps(), steps =>
        {
            var driver = new QueueDriver();
            foreach (var step in steps.Where(s => !s.Cancel))
            {
                var repo = $"https://github.com/o/r{step.Repo}";
                var gitRef = Refs[step.Ref];
                var active = driver.State.Jobs(1_000, null).Any(j => !j.IsFinal && j.RepoUrl == repo && j.Ref == gitRef);
                var batch = driver.Send(new EnqueueTask(repo, Priority.Normal, "test", Ref: gitRef));
                var duplicate = batch.Answers.Single().Message is IngestRefused { Reason: IngestRefusal.Duplicate };
                if (duplicate != active) return false;
            }
            return true;
        });

    [Fact]
    public void A_snapshot_from_before_jobs_were_numbered_numbers_them_in_its_order_the_same_every_time()
    {
        var t0 = QueueDriver.Epoch;
        JobRecord Old(string id, JobStatus status) => new(id, $"https://github.com/o/{id}", Priority.Normal, status, t0, t0.AddDays(1),
            86_400, "test", []);
        var snapshot = new QueueSnapshot([Old("a", JobStatus.Queued), Old("b", JobStatus.Queued), Old("c", JobStatus.Cancelled)]);

        var first = Replay([], from: snapshot);
        var second = Replay([], from: snapshot);

        Assert.Equal([("a", 1L), ("b", 2L), ("c", 3L)], first.ToSnapshot().Jobs.Select(j => (j.TaskId, j.JobNumber!.Value)));
        Assert.Equal(Numbers(first), Numbers(second));
        Assert.Equal(4, first.NextJobNumber);
        // An event from before the numbers (no job_number) takes the next one.
        first.Apply(new TaskEnqueued("d", "https://github.com/o/d", Priority.Normal, t0, 60, "test"));
        Assert.Equal(4, first.Find("d")!.JobNumber);
        Assert.Same(first.Find("b"), first.FindByIdOrNumber("2"));
        Assert.Null(first.FindByIdOrNumber("99"));
        Assert.Null(first.FindByIdOrNumber("-1"));
    }

    [Fact]
    public void A_cancellation_by_job_number_cancels_that_task()
    {
        var driver = new QueueDriver();
        driver.Send(new EnqueueTask("https://github.com/o/a", Priority.Normal, "test"));
        driver.Send(new EnqueueTask("https://github.com/o/b", Priority.Normal, "test", Ref: "v2"));
        var number = driver.State.Find("t001")!.JobNumber!.Value;

        var result = Assert.IsType<CancelJobResult>(driver.Send(new CancelJob($"{number}", "test")).Answers.Single().Message);

        Assert.Equal(CancelOutcome.Cancelled, result.Outcome);
        Assert.Equal("t001", result.Job!.TaskId);
        Assert.Equal("v2", result.Job.Ref);
        Assert.Equal(JobStatus.Queued, driver.State.Find("t000")!.Status);
    }

    [Fact]
    public void The_ref_reaches_the_worker_with_the_task_and_an_invalid_ref_is_refused()
    {
        var driver = new QueueDriver();
        var refused = driver.Send(new EnqueueTask("https://github.com/o/a", Priority.Normal, "test", Ref: "--upload-pack=x")).Answers.Single();
        Assert.Equal(IngestRefusal.InvalidRequest, Assert.IsType<IngestRefused>(refused.Message).Reason);

        var accepted = driver.Send(new EnqueueTask("https://github.com/o/a", Priority.Normal, "test", Ref: "release/2.0")).Answers.Single();
        var answer = Assert.IsType<IngestAccepted>(accepted.Message);
        Assert.Equal(("release/2.0", 1L), (answer.Ref, answer.JobNumber));
        driver.Send(new RegisterWorker("w1", QueueDriver.Address(1)), from: 1);
        driver.Send(new RequestWork("w1"), from: 1);
        var assigned = driver.Sent.Select(s => s.Message).OfType<TaskAssigned>().Single();
        Assert.Equal("release/2.0", assigned.Task.Ref);
    }
}
