using Akka.Actor;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.Messages.Commands;
using Pharos.Messages.Events;
using Pharos.Messages.Serialization;

namespace Pharos.Messages.Tests;

public sealed class SerializerRoundTripTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("roundtrip");
    private readonly PharosSerializer _serializer;

    public SerializerRoundTripTests() => _serializer = new PharosSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    private T RoundTrip<T>(T value) where T : notnull =>
        (T)_serializer.FromBinary(_serializer.ToBinary(value), _serializer.Manifest(value));

    [Property]
    public bool TaskEnqueued_round_trips(NonNull<string> id, NonNull<string> url, Priority priority, DateTimeOffset at,
        PositiveInt ttl, NonNull<string> by, bool privateRepos, bool neverStale, string? gitRef, long? jobNumber)
    {
        var e = new TaskEnqueued(id.Get, url.Get, priority, at, ttl.Get, by.Get, privateRepos, gitRef, jobNumber, neverStale);
        return RoundTrip(e) == e;
    }

    /// <summary>The grant is written only when given: a task without it has the bytes tasks always had.</summary>
    [Fact]
    public void The_private_repository_grant_is_written_only_when_true_and_travels_to_the_worker()
    {
        var plain = System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.TaskEnqueued));
        Assert.DoesNotContain("private_repos", plain);
        var granted = System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.TaskEnqueuedWithPrivateRepos));
        Assert.Contains("\"private_repos\":true", granted);
        Assert.True(RoundTrip(Samples.TaskEnqueuedWithPrivateRepos).PrivateRepos);

        var order = new EnqueueTask("https://github.com/o/r", Priority.Normal, "ci", PrivateRepos: true);
        Assert.Equal(order, RoundTrip(order));
        var task = new WorkTask("t", "https://github.com/o/r", Priority.Normal, null, 60, 1, PrivateRepos: true);
        Assert.Equal(task, RoundTrip(task));
        // A message from a node that predates the grant reads as no grant.
        var old = (WorkTask)_serializer.FromBinary(
            """{"task_id":"t","repo_url":"https://github.com/o/r","priority":"normal","submitted_at":null,"ttl_seconds":60,"attempt":1}"""u8.ToArray(),
            _serializer.Manifest(task));
        Assert.False(old.PrivateRepos);
    }

    /// <summary>
    /// A token's share and its right to cancel any job cross the wire; a message from a node that predates them reads as
    /// no share (only the cap holds) and as a cancellation of the caller's own jobs only.
    /// </summary>
    [Fact]
    public void The_share_of_the_queue_and_the_right_to_cancel_any_job_travel_and_default_to_the_narrower_reading()
    {
        var order = new EnqueueTask("https://github.com/o/r", Priority.Normal, "ci", MaxQueued: 5);
        Assert.Equal(order, RoundTrip(order));
        var oldOrder = (EnqueueTask)_serializer.FromBinary(
            """{"repo_url":"https://github.com/o/r","priority":"normal","requested_by":"ci","private_repos":false}"""u8.ToArray(),
            _serializer.Manifest(order));
        Assert.Null(oldOrder.MaxQueued);

        var cancel = new CancelJob("t", "admin", AnyJob: true);
        Assert.Equal(cancel, RoundTrip(cancel));
        var oldCancel = (CancelJob)_serializer.FromBinary("""{"task_id":"t","by":"admin"}"""u8.ToArray(), _serializer.Manifest(cancel));
        Assert.False(oldCancel.AnyJob);

        var refused = new CancelJobResult(CancelOutcome.NotOwner, null);
        Assert.Equal(refused, RoundTrip(refused));
    }

    /// <summary>
    /// The never-stale mark is written only when set (old events keep their bytes, and read as ordinary tasks), and an
    /// import's original timing and its answer cross the wire between cloud nodes.
    /// </summary>
    [Fact]
    public void The_never_stale_mark_is_written_only_when_set_and_an_imports_timing_and_answer_travel()
    {
        Assert.DoesNotContain("never_stale", System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.TaskEnqueued)));
        Assert.Contains("\"never_stale\":true", System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.TaskEnqueuedNeverStale)));
        Assert.True(RoundTrip(Samples.TaskEnqueuedNeverStale).NeverStale);
        Assert.False(RoundTrip(Samples.TaskEnqueued).NeverStale);
        var job = Samples.QueueSnapshotWithImports.Jobs[0];
        Assert.True(RoundTrip(job).NeverStale);
        Assert.DoesNotContain("never_stale", System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.QueueSnapshotWithImports.Jobs[1])));

        var at = new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.FromHours(2));
        foreach (var timing in new ImportedTiming[] { new(at, 3_600), new(at, null), new(null, null) })
        {
            var order = new EnqueueTask("https://github.com/o/r", Priority.Low, "admin", Imported: timing);
            Assert.Equal(order, RoundTrip(order));
        }
        // An order from a node that predates imports is an ordinary submission.
        var old = (EnqueueTask)_serializer.FromBinary(
            """{"repo_url":"https://github.com/o/r","priority":"normal","requested_by":"ci","private_repos":false,"max_queued":null}"""u8.ToArray(),
            _serializer.Manifest(new EnqueueTask("x", Priority.Normal, "ci")));
        Assert.Null(old.Imported);

        var answer = new ImportAccepted(Samples.QueueSnapshotWithImports.Jobs[1], 0, 3, 10);
        var back = RoundTrip(answer);
        Assert.Equal((answer.Job.TaskId, answer.Job.Status, answer.Job.AgeSeconds, answer.Position, answer.QueueSize, answer.MaxQueueSize),
            (back.Job.TaskId, back.Job.Status, back.Job.AgeSeconds, back.Position, back.QueueSize, back.MaxQueueSize));
    }

    [Property]
    public bool TaskSkipped_round_trips(NonNull<string> id, DateTimeOffset at, NormalFloat age, PositiveInt ttl) =>
        RoundTrip(new TaskSkipped(id.Get, at, JobReason.TtlExpired, age.Get, ttl.Get)) is var e
        && e == new TaskSkipped(id.Get, at, JobReason.TtlExpired, age.Get, ttl.Get);

    [Property]
    public Property IngestRefused_round_trips() =>
        Prop.ForAll(Gen.Elements(Enum.GetValues<IngestRefusal>()).ToArbitrary(), ArbMap.Default.ArbFor<string>(),
            (reason, detail) =>
            {
                var refused = new IngestRefused(reason, detail ?? "", "task", 7);
                return RoundTrip(refused) == refused;
            });

    [Fact]
    public void Every_message_type_has_a_distinct_manifest_and_serializes()
    {
        var manifests = MessageManifests.All.ToList();
        Assert.Equal(manifests.Count, manifests.Select(m => m.Key).Distinct().Count());
        Assert.Contains(manifests, m => m.Value == typeof(TaskEnqueued));
        Assert.Equal("task-enqueued.v1", _serializer.Manifest(Samples.TaskEnqueued));
    }

    [Fact]
    public void Unknown_manifest_is_a_serialization_error_not_a_null()
    {
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => _serializer.FromBinary("{}"u8.ToArray(), "no-such.v1"));
    }

    [Fact]
    public void Priority_and_enums_are_written_as_names()
    {
        var json = System.Text.Encoding.UTF8.GetString(_serializer.ToBinary(Samples.TaskEnqueued));
        Assert.Contains("\"priority\":\"high\"", json);
        Assert.Contains("\"submitted_at\":\"2026-11-29T08:00:00.123+00:00\"", json);
    }
}

public sealed class ResultChunkWireTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("chunks");
    private readonly PharosSerializer _serializer;

    public ResultChunkWireTests() => _serializer = new PharosSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    [Property(MaxTest = 50)]
    public Property A_chunk_travels_as_its_bytes_plus_a_small_header_and_comes_back_equal() =>
        Prop.ForAll(Gen.Choose(0, ResultChunk.MaxBytes).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (size, seed) =>
        {
            var data = new byte[size];
            new Random(seed).NextBytes(data);
            var chunk = new ResultChunk("task-1", "lease-1", (long)seed * 3, data);
            var wire = _serializer.ToBinary(chunk);
            var back = (ResultChunk)_serializer.FromBinary(wire, _serializer.Manifest(chunk));
            return wire.Length < size + 100 && back.Offset == chunk.Offset && back.TaskId == "task-1"
                && back.LeaseId == "lease-1" && back.Data.AsSpan().SequenceEqual(data);
        });

    [Fact]
    public void A_chunk_with_more_data_than_allowed_or_a_lying_length_is_refused()
    {
        var manifest = _serializer.Manifest(new ResultChunk("t", "l", 0, []));
        var tooBig = _serializer.ToBinary(new ResultChunk("t", "l", 0, new byte[ResultChunk.MaxBytes + 1]));
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => _serializer.FromBinary(tooBig, manifest));
        var lying = _serializer.ToBinary(new ResultChunk("t", "l", 0, [1, 2, 3]));
        BitConverter.TryWriteBytes(lying.AsSpan(0, 4), 1_000_000);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => _serializer.FromBinary(lying, manifest));
    }
}
