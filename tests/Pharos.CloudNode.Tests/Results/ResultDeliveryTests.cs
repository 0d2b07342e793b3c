using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Pharos.Actors.Queue;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Commands;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;
using Pharos.Testing.Nodes;
using Pharos.Testing.Results;
using Xunit.Abstractions;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>
/// An edge's ResultUploader delivering outbox entries to the cloud's ResultIntake, all in one actor system, into a
/// real SQLite result store and a real QueueActor (on the in-memory journal) that completes the task: whole
/// deliveries, resumed ones, deliveries under current, lapsed and lost leases, and each refusal.
/// </summary>
public sealed class ResultDeliveryTests : TestKit, IDisposable
{
    private const string Repo = "https://github.com/pharos/delivered";

    private static readonly Akka.Configuration.Config JournalConfig = Akka.Configuration.ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.actor.serialize-messages = off
        """);

    private readonly string _root = TempDirectories.Create("pharos-delivery-");
    private readonly SqliteResultStore _store;
    private readonly IActorRef _queue;

    public ResultDeliveryTests(ITestOutputHelper output) : base(JournalConfig, output: output)
    {
        _store = new SqliteResultStore(Path.Combine(_root, "cloud"), keep: 1, new ResultCache());
        _queue = Sys.ActorOf(QueueActor.Props(QueueSettings.Default, TimeProvider.System, CreateTestProbe().Ref), "queue");
    }

    /// <summary>A task of <see cref="Repo"/> leased to a worker (a probe) that registered as <paramref name="workerId"/>.</summary>
    private (string Task, string Lease, TestProbe Worker) Leased(string workerId = "edge-1", string? task = null)
    {
        if (task is null)
        {
            _queue.Tell(new EnqueueTask(Repo, Priority.Normal, "test"), TestActor);
            task = ExpectMsg<IngestAccepted>().TaskId;
        }
        var worker = CreateTestProbe();
        worker.Send(_queue, new RegisterWorker(workerId, "akka.tcp://pharos@edge:1"));
        worker.ExpectMsg<WorkerRegistered>();
        worker.Send(_queue, new RequestWork(workerId));
        var assigned = worker.FishForMessage<TaskAssigned>(_ => true);
        Assert.Equal(task, assigned.Task.TaskId);
        return (task, assigned.LeaseId, worker);
    }

    /// <summary>The worker goes away: its lease lapses and the task is back in the queue.</summary>
    private void Lose(TestProbe worker, string task)
    {
        Watch(worker.Ref);
        Sys.Stop(worker.Ref);
        ExpectTerminated(worker.Ref);
        AwaitAssert(() => Assert.Equal(JobStatus.Queued, Job(task).Status), TimeSpan.FromSeconds(5));
    }

    private JobRecord Job(string taskId)
    {
        _queue.Tell(new GetJob(taskId), TestActor);
        return ExpectMsg<JobLookup>().Job!;
    }

    private string Incoming => Path.Combine(_root, "cloud", "incoming");
    private string OutboxDir => Path.Combine(_root, "edge", "outbox");

    /// <summary>A result of <paramref name="files"/> files × 64 dims: about <c>files</c> × 256 bytes of vectors.</summary>
    private static ResultBundle Bundle(int files) =>
        ResultSamples.Bundle(Repo, commitSha: "c0ffee" + files, files: files, dims: 64, seed: files);

    private IActorRef StartIntake(long maxBytes = 64L * 1024 * 1024) =>
        Sys.ActorOf(ResultIntake.Props(new IntakeSettings(Incoming, maxBytes), _store, _queue), "result-intake");

    private OutboxEntry Put(byte[] bytes, string task, string lease) =>
        Outbox.Put(OutboxDir, task, lease, stream => stream.Write(bytes));

    private (TestProbe Parent, IActorRef Uploader) Upload(OutboxEntry entry)
    {
        var parent = CreateTestProbe();
        var uploader = parent.ChildActorOf(ResultUploader.Props(entry, () => Sys.ActorSelection("/user/result-intake")));
        return (parent, uploader);
    }

    /// <summary>The uploader's last word, after the progress it reports on the way (which must only grow).</summary>
    private static (T Final, List<UploadProgressed> Progress) Outcome<T>(TestProbe parent)
    {
        var progress = new List<UploadProgressed>();
        while (true)
        {
            var message = parent.ExpectMsg<object>(TimeSpan.FromSeconds(20));
            if (message is UploadProgressed step)
            {
                if (progress.Count > 0) Assert.True(step.Received >= progress[^1].Received, "upload progress went back");
                progress.Add(step);
                continue;
            }
            return (Assert.IsType<T>(message), progress);
        }
    }

    [Fact]
    public async Task A_result_of_many_chunks_is_stored_whole_and_leaves_neither_outbox_entry_nor_partial_file()
    {
        StartIntake();
        var (task, lease, _) = Leased();
        var bundle = Bundle(2_000); // about 0.6 MB: ten chunks and more
        var entry = Put(bundle.ToBytes(), task, lease);

        var (parent, _) = Upload(entry);

        var (delivered, progress) = Outcome<UploadDelivered>(parent);
        Assert.True(progress.Count > 1, "no progress was reported on a ten-chunk upload");
        Assert.All(progress, p => Assert.Equal(bundle.ToBytes().Length, p.Total));
        Assert.Equal(bundle.Header.CommitSha, delivered.CommitSha);
        var stored = await _store.GetAsync(bundle.Header.RepoUrl);
        Assert.NotNull(stored);
        Assert.Equal(bundle.Vectors, stored.Vectors);
        Assert.False(File.Exists(entry.Path), "the outbox entry was kept after delivery");
        Assert.Empty(Outbox.Pending(OutboxDir));
        Assert.Empty(Directory.EnumerateFiles(Incoming));

        // Delivered means completed: the queue recorded the task with what the result says of itself.
        var job = Job(task);
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal((bundle.Header.CommitSha, 2_000, 1_999, 64), (job.CommitSha, job.FilesProcessed, job.Edges, job.Dims));
        Assert.Equal(0.25, job.StageSeconds!.Parse);
    }

    [Fact]
    public async Task An_offer_of_a_result_already_partly_received_resumes_where_the_part_ends()
    {
        var intake = StartIntake();
        var (task, lease, _) = Leased();
        var bytes = Bundle(1_000).ToBytes();
        var sha = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        var edge = CreateTestProbe();

        // A first delivery sends two chunks, then the edge goes away.
        intake.Tell(new OfferResult(task, lease, bytes.Length, sha), edge);
        Assert.Equal(0, edge.ExpectMsg<ResultChunkAccepted>().NextOffset);
        intake.Tell(new ResultChunk(task, lease, 0, bytes[..ResultChunk.MaxBytes]), edge);
        intake.Tell(new ResultChunk(task, lease, ResultChunk.MaxBytes, bytes[ResultChunk.MaxBytes..(2 * ResultChunk.MaxBytes)]), edge);
        edge.ExpectMsg<ResultChunkAccepted>();
        Assert.Equal(2 * ResultChunk.MaxBytes, edge.ExpectMsg<ResultChunkAccepted>().NextOffset);

        // The intake restarts (the node did): the part on disk is where the next offer starts.
        Watch(intake);
        Sys.Stop(intake);
        ExpectTerminated(intake);
        intake = StartIntake();
        var again = CreateTestProbe();
        intake.Tell(new OfferResult(task, lease, bytes.Length, sha), again);
        Assert.Equal(2 * (long)ResultChunk.MaxBytes, again.ExpectMsg<ResultChunkAccepted>().NextOffset);

        // A chunk that does not continue the part is answered with where the part is.
        intake.Tell(new ResultChunk(task, lease, 0, bytes[..10]), again);
        Assert.Equal(2 * (long)ResultChunk.MaxBytes, again.ExpectMsg<ResultChunkAccepted>().NextOffset);

        for (long offset = 2 * (long)ResultChunk.MaxBytes; offset < bytes.Length;)
        {
            var end = (int)Math.Min(bytes.Length, offset + (long)ResultChunk.MaxBytes);
            intake.Tell(new ResultChunk(task, lease, offset, bytes[(int)offset..end]), again);
            offset = end;
            if (offset < bytes.Length) Assert.Equal(offset, again.ExpectMsg<ResultChunkAccepted>().NextOffset);
        }
        again.ExpectMsg<ResultDelivered>(TimeSpan.FromSeconds(20));
        Assert.NotNull(await _store.GetAsync(Repo));
        Assert.Equal(JobStatus.Completed, Job(task).Status);
    }

    [Fact]
    public async Task A_result_over_the_limit_is_refused_with_its_reason_and_its_outbox_entry_dropped()
    {
        StartIntake(maxBytes: 100_000);
        var (task, lease, _) = Leased();
        var entry = Put(Bundle(1_000).ToBytes(), task, lease);

        var (parent, _) = Upload(entry);

        var (refused, _) = Outcome<UploadRefused>(parent);
        Assert.Equal((ResultRefusal.TooLarge, JobReason.ResultTooLarge), (refused.Refusal, refused.Refusal.JobReason()));
        Assert.Contains("PHAROS_MAX_RESULT_MB", refused.Detail);
        Assert.False(File.Exists(entry.Path));
        Assert.Empty(await _store.ListAsync());
    }

    [Fact]
    public async Task Bytes_that_are_not_a_result_are_refused_for_good_and_nothing_is_stored()
    {
        StartIntake();
        var (task, lease, _) = Leased();
        var entry = Put(new byte[5_000], task, lease);

        var (parent, _) = Upload(entry);

        var (refused, _) = Outcome<UploadRefused>(parent);
        Assert.Equal((ResultRefusal.Invalid, JobReason.TrainingFailed), (refused.Refusal, refused.Refusal.JobReason()));
        Assert.Contains("not a valid Pharos result", refused.Detail);
        Assert.Empty(await _store.ListAsync());
        Assert.Empty(Directory.EnumerateFiles(Incoming));
    }

    [Fact]
    public void Bytes_that_do_not_match_the_offered_hash_are_refused_for_now_so_the_edge_offers_again()
    {
        var intake = StartIntake();
        var (task, lease, _) = Leased();
        var bytes = Bundle(10).ToBytes();
        var edge = CreateTestProbe();
        intake.Tell(new OfferResult(task, lease, bytes.Length, new string('0', 64)), edge);
        edge.ExpectMsg<ResultChunkAccepted>();
        intake.Tell(new ResultChunk(task, lease, 0, bytes), edge);

        var refused = edge.ExpectMsg<ResultRefused>();
        Assert.Equal(ResultRefusal.TryAgain, refused.Refusal);
        Assert.Contains("SHA-256", refused.Detail);
    }

    [Fact]
    public async Task A_result_under_a_lease_lost_while_its_task_waits_in_the_queue_still_completes_the_task()
    {
        StartIntake();
        var (task, lease, worker) = Leased("edge-asleep");
        // The edge goes away with the result in its outbox: its lease lapses and the task waits for another worker.
        Lose(worker, task);

        var entry = Put(Bundle(50).ToBytes(), task, lease);
        var (parent, _) = Upload(entry);

        Outcome<UploadDelivered>(parent);
        var job = Job(task);
        Assert.Equal((JobStatus.Completed, "edge-asleep"), (job.Status, job.Worker));
        Assert.NotNull(await _store.GetAsync(Repo));
        Assert.False(File.Exists(entry.Path));
    }

    [Fact]
    public async Task A_result_under_a_lease_lost_to_another_worker_is_refused_and_its_outbox_entry_dropped()
    {
        StartIntake();
        var (task, lease, worker) = Leased("edge-asleep");
        Lose(worker, task);
        var (_, current, _) = Leased("edge-awake", task);

        var entry = Put(Bundle(50).ToBytes(), task, lease);
        var (parent, _) = Upload(entry);

        var (refused, progress) = Outcome<UploadRefused>(parent);
        Assert.Equal(ResultRefusal.LeaseLost, refused.Refusal);
        Assert.Null(refused.Refusal.JobReason());
        Assert.Contains("running on edge-awake", refused.Detail);
        Assert.Empty(progress); // refused before a byte was sent
        Assert.False(File.Exists(entry.Path));
        Assert.Empty(await _store.ListAsync());
        // The task is the other worker's, untouched.
        Assert.Equal(JobStatus.Running, Job(task).Status);
        _queue.Tell(new MayDeliver(task, current), TestActor);
        Assert.Equal(DeliveryOutcome.Wanted, ExpectMsg<DeliveryVerdict>().Outcome);
    }

    [Fact]
    public void A_delivery_repeated_after_its_answer_was_lost_is_answered_delivered_and_completes_the_task_once()
    {
        StartIntake();
        var (task, lease, _) = Leased();
        var bytes = Bundle(50).ToBytes();
        Outcome<UploadDelivered>(Upload(Put(bytes, task, lease)).Parent);

        // The edge restarted before it heard the answer: the same entry again.
        var (again, _) = Outcome<UploadDelivered>(Upload(Put(bytes, task, lease)).Parent);

        Assert.Equal("c0ffee50", again.CommitSha);
        Assert.Single(Job(task).Timeline, t => t.Status == JobStatus.Completed);
        Assert.Empty(Outbox.Pending(OutboxDir));
    }

    [Fact]
    public void The_uploader_keeps_at_most_a_window_of_chunks_unacknowledged_and_sends_one_more_per_acknowledged_chunk()
    {
        var intake = CreateTestProbe();
        var bytes = Bundle(2_000).ToBytes(); // about 0.6 MB: more than a window
        var entry = Put(bytes, "task-w", "lease-w");
        var parent = CreateTestProbe();
        parent.ChildActorOf(ResultUploader.Props(entry, () => Sys.ActorSelection(intake.Ref.Path)));

        var offer = intake.ExpectMsg<OfferResult>();
        Assert.Equal(bytes.Length, offer.Bytes);
        var uploader = intake.LastSender;
        void Answer(long next) => uploader.Tell(new ResultChunkAccepted("task-w", "lease-w", next), intake.Ref);
        Answer(0);
        var window = Enumerable.Range(0, ResultUploader.Window).Select(_ => intake.ExpectMsg<ResultChunk>()).ToList();
        Assert.Equal(Enumerable.Range(0, ResultUploader.Window).Select(i => (long)i * ResultChunk.MaxBytes), window.Select(c => c.Offset));
        intake.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the window is full

        Answer(ResultChunk.MaxBytes);
        Assert.Equal((long)ResultUploader.Window * ResultChunk.MaxBytes, intake.ExpectMsg<ResultChunk>().Offset);
        intake.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        // An answer older than the last one changes nothing.
        Answer(0);
        intake.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        // Each chunk is the entry's bytes at its offset.
        Assert.All(window, chunk => Assert.True(chunk.Data.AsSpan().SequenceEqual(bytes.AsSpan((int)chunk.Offset, chunk.Data.Length))));
    }

    [Fact]
    public async Task A_cloud_that_falls_silent_mid_upload_gets_the_result_offered_again_and_resumed_where_its_part_ends()
    {
        var (task, lease, _) = Leased();
        var bundle = Bundle(10_000); // about 3 MB: the silence falls with most of it unsent
        var bytes = bundle.ToBytes();
        var entry = Put(bytes, task, lease);
        // The cloud answers the offer and two chunks, then falls silent: its answers go nowhere until released.
        var intake = StartIntake();
        var relay = CreateTestProbe();
        var (answered, offers, released) = (0, 0, false);
        IActorRef? uploader = null;
        relay.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (sender.Equals(intake))
            {
                if (Volatile.Read(ref released) || Interlocked.Increment(ref answered) <= 3) uploader!.Tell(message, relay.Ref);
            }
            else
            {
                uploader = sender;
                if (message is OfferResult) Interlocked.Increment(ref offers);
                intake.Tell(message, relay.Ref);
            }
            return AutoPilot.KeepRunning;
        }));
        var parent = CreateTestProbe();
        parent.ChildActorOf(ResultUploader.Props(entry, () => Sys.ActorSelection(relay.Ref.Path), TimeSpan.FromMilliseconds(300)));

        // Silence: the uploader offers again, and again after a longer pause.
        AwaitCondition(() => Volatile.Read(ref offers) >= 3, TimeSpan.FromSeconds(10));
        Volatile.Write(ref released, true);

        // The cloud is back: an offer resumes from the intake's part (progress never goes back), and the result is delivered.
        var (delivered, progress) = Outcome<UploadDelivered>(parent);
        Assert.Equal(bundle.Header.CommitSha, delivered.CommitSha);
        // Sent on after the silence up to the last chunk (whose answer is the delivery itself).
        Assert.True(progress[^1].Received >= bytes.Length - ResultChunk.MaxBytes, $"progress stopped at {progress[^1].Received}");
        Assert.Equal(bundle.Vectors, (await _store.GetAsync(Repo))!.Vectors);
        Assert.Equal(JobStatus.Completed, Job(task).Status);
    }

    [Fact]
    public void An_entry_half_written_before_a_crash_is_not_pending_and_whole_ones_are_oldest_first()
    {
        var first = Put([1, 2, 3], "task-a", "lease-a");
        File.SetLastWriteTimeUtc(first.Path, DateTime.UtcNow.AddMinutes(-1));
        var second = Put([4, 5, 6], "task-b", "lease-b");
        File.WriteAllBytes(Path.Combine(OutboxDir, "task-c.lease-c.result.tmp"), [7]);

        Assert.Equal([first, second], Outbox.Pending(OutboxDir));
        Assert.False(File.Exists(Path.Combine(OutboxDir, "task-c.lease-c.result.tmp")));
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        TempDirectories.Delete(_root);
    }

    [Fact]
    public void Ten_times_the_most_open_uploads_leave_at_most_that_many_open_and_a_closed_one_resumes_from_its_part()
    {
        const int most = 4;
        var intake = ActorOfAsTestActorRef<ResultIntake>(
            ResultIntake.Props(new IntakeSettings(Incoming, 64L * 1024 * 1024, most), _store, _queue), "result-intake");
        var edges = new List<(OfferResult Offer, TestProbe Edge)>();
        for (var i = 0; i < 10 * most; i++)
        {
            // An edge starts an upload and sends its first bytes, then goes quiet (stopped halfway).
            _queue.Tell(new EnqueueTask($"https://github.com/pharos/abandoned-{i}", Priority.Normal, "test"), TestActor);
            var (task, lease, _) = Leased($"edge-{i}", ExpectMsg<IngestAccepted>().TaskId);
            var offer = new OfferResult(task, lease, 1_000, new string('a', 64));
            var edge = CreateTestProbe();
            edge.Send(intake, offer);
            Assert.Equal(0, edge.ExpectMsg<ResultChunkAccepted>(TimeSpan.FromSeconds(10)).NextOffset);
            edge.Send(intake, new ResultChunk(task, lease, 0, new byte[100]));
            Assert.Equal(100, edge.ExpectMsg<ResultChunkAccepted>().NextOffset);
            Assert.InRange(intake.UnderlyingActor.OpenUploads, 1, most);
            edges.Add((offer, edge));
        }

        // The first was closed long ago: its next chunk is refused, and its next offer resumes where it stopped.
        var (first, firstEdge) = edges[0];
        firstEdge.Send(intake, new ResultChunk(first.TaskId, first.LeaseId, 100, new byte[100]));
        Assert.Equal(ResultRefusal.TryAgain, firstEdge.ExpectMsg<ResultRefused>().Refusal);
        firstEdge.Send(intake, first);
        Assert.Equal(100, firstEdge.ExpectMsg<ResultChunkAccepted>(TimeSpan.FromSeconds(10)).NextOffset);
        Assert.InRange(intake.UnderlyingActor.OpenUploads, 1, most);
    }
}
