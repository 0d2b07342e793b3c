using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Commands;
using Pharos.Testing.Nodes;
using Xunit.Abstractions;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>
/// An edge's ResultUploader delivering outbox entries to the cloud's ResultIntake, both in one actor system, into a
/// real SQLite result store: whole deliveries, resumed ones, and each refusal.
/// </summary>
public sealed class ResultDeliveryTests : TestKit, IDisposable
{
    private readonly string _root = TempDirectories.Create("pharos-delivery-");
    private readonly SqliteResultStore _store;

    public ResultDeliveryTests(ITestOutputHelper output) : base(output: output) =>
        _store = new SqliteResultStore(Path.Combine(_root, "cloud"), keep: 1, new ResultCache());

    private string Incoming => Path.Combine(_root, "cloud", "incoming");
    private string OutboxDir => Path.Combine(_root, "edge", "outbox");

    /// <summary>A result of <paramref name="files"/> files × 64 dims: about <c>files</c> × 256 bytes of vectors.</summary>
    private static ResultBundle Bundle(int files, string task = "task-1")
    {
        var random = new Random(files);
        var nodes = Enumerable.Range(0, files).Select(i => $"src/m{i:D5}.py").ToArray();
        var graph = new GraphDocument(nodes, [.. Enumerable.Range(1, files - 1).Select(i => new[] { nodes[i], nodes[0] })],
            new UnresolvedImports(0, new Dictionary<string, int>()), new Dictionary<string, int> { ["python"] = files }, 0, [], 0.1);
        var header = new ResultHeader("https://github.com/pharos/delivered", "c0ffee" + files, task, DateTimeOffset.UnixEpoch,
            64, 0.5, 1, new Dictionary<string, JsonElement>(), graph);
        return new ResultBundle(header, [.. Enumerable.Range(0, files * 64).Select(_ => (float)random.NextDouble())]);
    }

    private IActorRef StartIntake(long maxBytes = 64L * 1024 * 1024) =>
        Sys.ActorOf(ResultIntake.Props(new IntakeSettings(Incoming, maxBytes), _store), "result-intake");

    private OutboxEntry Put(byte[] bytes, string task = "task-1", string lease = "lease-1") =>
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
        var bundle = Bundle(2_000); // about 0.6 MB: ten chunks and more
        var entry = Put(bundle.ToBytes());

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
    }

    [Fact]
    public async Task An_offer_of_a_result_already_partly_received_resumes_where_the_part_ends()
    {
        var intake = StartIntake();
        var bytes = Bundle(1_000).ToBytes();
        var sha = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        var edge = CreateTestProbe();

        // A first delivery sends two chunks, then the edge goes away.
        intake.Tell(new OfferResult("task-1", "lease-1", bytes.Length, sha), edge);
        Assert.Equal(0, edge.ExpectMsg<ResultChunkAccepted>().NextOffset);
        intake.Tell(new ResultChunk("task-1", "lease-1", 0, bytes[..ResultChunk.MaxBytes]), edge);
        intake.Tell(new ResultChunk("task-1", "lease-1", ResultChunk.MaxBytes, bytes[ResultChunk.MaxBytes..(2 * ResultChunk.MaxBytes)]), edge);
        edge.ExpectMsg<ResultChunkAccepted>();
        Assert.Equal(2 * ResultChunk.MaxBytes, edge.ExpectMsg<ResultChunkAccepted>().NextOffset);

        // The intake restarts (the node did): the part on disk is where the next offer starts.
        Watch(intake);
        Sys.Stop(intake);
        ExpectTerminated(intake);
        intake = StartIntake();
        var again = CreateTestProbe();
        intake.Tell(new OfferResult("task-1", "lease-1", bytes.Length, sha), again);
        Assert.Equal(2 * (long)ResultChunk.MaxBytes, again.ExpectMsg<ResultChunkAccepted>().NextOffset);

        // A chunk that does not continue the part is answered with where the part is.
        intake.Tell(new ResultChunk("task-1", "lease-1", 0, bytes[..10]), again);
        Assert.Equal(2 * (long)ResultChunk.MaxBytes, again.ExpectMsg<ResultChunkAccepted>().NextOffset);

        for (long offset = 2 * (long)ResultChunk.MaxBytes; offset < bytes.Length;)
        {
            var end = (int)Math.Min(bytes.Length, offset + (long)ResultChunk.MaxBytes);
            intake.Tell(new ResultChunk("task-1", "lease-1", offset, bytes[(int)offset..end]), again);
            offset = end;
            if (offset < bytes.Length) Assert.Equal(offset, again.ExpectMsg<ResultChunkAccepted>().NextOffset);
        }
        again.ExpectMsg<ResultDelivered>(TimeSpan.FromSeconds(20));
        Assert.NotNull(await _store.GetAsync("https://github.com/pharos/delivered"));
    }

    [Fact]
    public async Task A_result_over_the_limit_is_refused_with_its_reason_and_its_outbox_entry_dropped()
    {
        StartIntake(maxBytes: 100_000);
        var entry = Put(Bundle(1_000).ToBytes());

        var (parent, _) = Upload(entry);

        var (refused, _) = Outcome<UploadRefused>(parent);
        Assert.Equal(JobReason.ResultTooLarge, refused.Reason);
        Assert.Contains("PHAROS_MAX_RESULT_MB", refused.Detail);
        Assert.False(File.Exists(entry.Path));
        Assert.Empty(await _store.ListAsync());
    }

    [Fact]
    public async Task Bytes_that_are_not_a_result_are_refused_for_good_and_nothing_is_stored()
    {
        StartIntake();
        var entry = Put(new byte[5_000]);

        var (parent, _) = Upload(entry);

        var (refused, _) = Outcome<UploadRefused>(parent);
        Assert.Equal(JobReason.TrainingFailed, refused.Reason);
        Assert.Contains("not a valid Pharos result", refused.Detail);
        Assert.Empty(await _store.ListAsync());
        Assert.Empty(Directory.EnumerateFiles(Incoming));
    }

    [Fact]
    public void Bytes_that_do_not_match_the_offered_hash_are_refused_without_a_reason_so_the_edge_offers_again()
    {
        var intake = StartIntake();
        var bytes = Bundle(10).ToBytes();
        var edge = CreateTestProbe();
        intake.Tell(new OfferResult("task-1", "lease-1", bytes.Length, new string('0', 64)), edge);
        edge.ExpectMsg<ResultChunkAccepted>();
        intake.Tell(new ResultChunk("task-1", "lease-1", 0, bytes), edge);

        var refused = edge.ExpectMsg<ResultRefused>();
        Assert.Null(refused.Reason);
        Assert.Contains("SHA-256", refused.Detail);
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
}
