using Akka.TestKit;

namespace Pharos.Persistence.Testing;

/// <summary>
/// The Akka.Persistence TCK's snapshot store cases (SnapshotStoreSpec), driven with the protocol messages; what the
/// storage then holds is read through <see cref="PluginStorage"/>. Each test starts with the TCK's fixture: snapshots
/// "s-1" … "s-5" at sequence numbers 11 … 15 (so each has its own timestamp).
/// </summary>
public abstract class SnapshotStoreConformanceSpec<TStorage> : PluginSpec<TStorage>
    where TStorage : PluginStorage
{
    private readonly TestProbe _senderProbe;
    private readonly List<SnapshotMetadata> _metadata = new();

    protected SnapshotStoreConformanceSpec(TStorage storage, ITestOutputHelper output, string systemName)
        : base(storage, output, systemName)
    {
        _senderProbe = CreateTestProbe();
        for (var i = 1; i <= 5; i++)
        {
            SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, i + 10, DateTime.MinValue), $"s-{i}"), _senderProbe.Ref);
            _metadata.Add(_senderProbe.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(10)).Metadata);
        }
    }

    /// <summary>The fixture's snapshots as the store confirmed them (timestamps included), "s-1" first.</summary>
    protected IReadOnlyList<SnapshotMetadata> Metadata => _metadata;

    private void Load(string pid, SnapshotSelectionCriteria criteria, long toSequenceNr) =>
        SnapshotStore.Tell(new LoadSnapshot(pid, criteria, toSequenceNr), _senderProbe.Ref);

    private void ExpectNone(long toSequenceNr) =>
        _senderProbe.ExpectMsg<LoadSnapshotResult>(r => r.Snapshot == null && r.ToSequenceNr == toSequenceNr,
            hint: "no snapshot");

    private void ExpectSnapshot(int index, long toSequenceNr)
    {
        var result = _senderProbe.ExpectMsg<LoadSnapshotResult>();
        Assert.Equal(toSequenceNr, result.ToSequenceNr);
        Assert.NotNull(result.Snapshot);
        Assert.Equal(_metadata[index], result.Snapshot.Metadata); // persistence id, sequence number and timestamp
        Assert.Equal($"s-{index + 1}", result.Snapshot.Snapshot);
    }

    private async Task AssertStoredAsync(params long[] sequenceNrs) =>
        Assert.Equal(sequenceNrs, await Storage.ReadSnapshotSequenceNrsAsync(Pid));

    [Fact]
    public void Loads_no_snapshot_for_a_persistence_id_that_has_none()
    {
        Load("invalid", SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectNone(long.MaxValue);
    }

    [Fact]
    public void Loads_no_snapshot_when_the_timestamp_criteria_match_none()
    {
        Load(Pid, new SnapshotSelectionCriteria(long.MaxValue, new DateTime(100000)), long.MaxValue);
        ExpectNone(long.MaxValue);
    }

    [Fact]
    public void Loads_no_snapshot_when_the_sequence_number_criteria_match_none()
    {
        Load(Pid, new SnapshotSelectionCriteria(7), long.MaxValue);
        ExpectNone(long.MaxValue);

        Load(Pid, SnapshotSelectionCriteria.Latest, 7);
        ExpectNone(7);
    }

    [Fact]
    public void Loads_the_latest_snapshot()
    {
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectSnapshot(4, long.MaxValue);
    }

    [Fact]
    public void Loads_the_latest_snapshot_up_to_a_maximum_sequence_number()
    {
        Load(Pid, new SnapshotSelectionCriteria(13), long.MaxValue);
        ExpectSnapshot(2, long.MaxValue);

        Load(Pid, SnapshotSelectionCriteria.Latest, 13);
        ExpectSnapshot(2, 13);
    }

    [Fact]
    public void Loads_the_latest_snapshot_within_sequence_number_and_timestamp_bounds()
    {
        Load(Pid, new SnapshotSelectionCriteria(13, _metadata[2].Timestamp), long.MaxValue);
        ExpectSnapshot(2, long.MaxValue);

        Load(Pid, new SnapshotSelectionCriteria(long.MaxValue, _metadata[2].Timestamp), 13);
        ExpectSnapshot(2, 13);

        // Only the timestamp bound: the newest snapshot taken no later than the third one's timestamp.
        Load(Pid, new SnapshotSelectionCriteria(long.MaxValue, _metadata[2].Timestamp), long.MaxValue);
        ExpectSnapshot(2, long.MaxValue);
    }

    [Fact]
    public void Loads_within_a_minimum_sequence_number_and_timestamp()
    {
        var criteria = new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 16, DateTime.MinValue);
        Load(Pid, criteria, long.MaxValue);
        ExpectNone(long.MaxValue);

        criteria = new SnapshotSelectionCriteria(13, DateTime.MaxValue, 12, DateTime.MinValue);
        Load(Pid, criteria, long.MaxValue);
        ExpectSnapshot(2, long.MaxValue);

        criteria = new SnapshotSelectionCriteria(long.MaxValue, DateTime.MaxValue, 0, _metadata[4].Timestamp.AddTicks(1));
        Load(Pid, criteria, long.MaxValue);
        ExpectNone(long.MaxValue);
    }

    [Fact]
    public async Task Loads_the_snapshot_before_the_latest_when_the_latest_cannot_be_read()
    {
        await Storage.CorruptSnapshotAsync(Pid, 15);
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectSnapshot(3, long.MaxValue);

        await Storage.CorruptSnapshotAsync(Pid, 14);
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectSnapshot(2, long.MaxValue);
    }

    [Fact]
    public async Task Fails_the_load_when_none_of_the_newest_three_can_be_read_rather_than_answer_none()
    {
        // Answering "no snapshot" would recover from the first event, which an owner that trims may have deleted.
        foreach (var sequenceNr in new long[] { 15, 14, 13 }) await Storage.CorruptSnapshotAsync(Pid, sequenceNr);
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        _senderProbe.ExpectMsg<LoadSnapshotFailed>();
    }

    [Fact]
    public async Task Deletes_a_single_snapshot_identified_by_its_sequence_number()
    {
        var md = new SnapshotMetadata(_metadata[2].PersistenceId, _metadata[2].SequenceNr, DateTime.MinValue); // timestamp left out
        var command = new DeleteSnapshot(md);
        var sub = CreateTestProbe();
        Subscribe<DeleteSnapshot>(sub.Ref);

        SnapshotStore.Tell(command, _senderProbe.Ref);
        sub.ExpectMsg(command);
        _senderProbe.ExpectMsg<DeleteSnapshotSuccess>();

        Load(Pid, new SnapshotSelectionCriteria(md.SequenceNr), long.MaxValue);
        ExpectSnapshot(1, long.MaxValue);
        await AssertStoredAsync(11, 12, 14, 15);
    }

    [Fact]
    public async Task Deletes_a_single_snapshot_identified_by_its_full_metadata()
    {
        SnapshotStore.Tell(new DeleteSnapshot(_metadata[4]), _senderProbe.Ref);
        _senderProbe.ExpectMsg<DeleteSnapshotSuccess>();

        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectSnapshot(3, long.MaxValue);
        await AssertStoredAsync(11, 12, 13, 14);
    }

    [Fact]
    public async Task Deletes_all_snapshots_matching_sequence_number_and_timestamp_bounds()
    {
        var md = _metadata[2];
        var command = new DeleteSnapshots(Pid, new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp));
        var sub = CreateTestProbe();
        Subscribe<DeleteSnapshots>(sub.Ref);

        SnapshotStore.Tell(command, _senderProbe.Ref);
        sub.ExpectMsg(command);
        _senderProbe.ExpectMsg<DeleteSnapshotsSuccess>();

        Load(Pid, new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp), long.MaxValue);
        ExpectNone(long.MaxValue);

        Load(Pid, new SnapshotSelectionCriteria(_metadata[3].SequenceNr, _metadata[3].Timestamp), long.MaxValue);
        ExpectSnapshot(3, long.MaxValue);
        await AssertStoredAsync(14, 15);
    }

    [Fact]
    public void Does_not_delete_snapshots_newer_than_the_upper_timestamp_bound()
    {
        var md = _metadata[3];
        var criteria = new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp.Subtract(TimeSpan.FromTicks(1)));
        var command = new DeleteSnapshots(Pid, criteria);
        var sub = CreateTestProbe();
        Subscribe<DeleteSnapshots>(sub.Ref);

        SnapshotStore.Tell(command, _senderProbe.Ref);
        sub.ExpectMsg(command);
        _senderProbe.ExpectMsg<DeleteSnapshotsSuccess>(m => m.Criteria.Equals(criteria));

        Load(Pid, new SnapshotSelectionCriteria(md.SequenceNr, md.Timestamp), long.MaxValue);
        ExpectSnapshot(3, long.MaxValue);
    }

    [Fact]
    public async Task Deletes_every_snapshot_with_the_latest_criteria()
    {
        SnapshotStore.Tell(new DeleteSnapshots(Pid, SnapshotSelectionCriteria.Latest), _senderProbe.Ref);
        _senderProbe.ExpectMsg<DeleteSnapshotsSuccess>();
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectNone(long.MaxValue);
        await AssertStoredAsync();
    }

    [Fact]
    public async Task Overwrites_a_snapshot_saved_again_at_the_same_sequence_number()
    {
        var md = _metadata[4];
        SnapshotStore.Tell(new SaveSnapshot(md, "s-5-modified"), _senderProbe.Ref);
        var md2 = _senderProbe.ExpectMsg<SaveSnapshotSuccess>().Metadata;
        Assert.Equal(md.SequenceNr, md2.SequenceNr);

        Load(Pid, new SnapshotSelectionCriteria(md.SequenceNr), long.MaxValue);
        var result = _senderProbe.ExpectMsg<LoadSnapshotResult>();
        Assert.Equal("s-5-modified", result.Snapshot.Snapshot);
        Assert.Equal(md.SequenceNr, result.Snapshot.Metadata.SequenceNr);

        // One snapshot per sequence number: the later save replaced the earlier one.
        await AssertStoredAsync(11, 12, 13, 14, 15);
    }

    [Fact]
    public void Round_trips_a_10_MB_snapshot()
    {
        var big = new byte[10 * 1024 * 1024];
        new Random(42).NextBytes(big);
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, DateTime.MinValue), big), _senderProbe.Ref);
        _senderProbe.ExpectMsg<SaveSnapshotSuccess>(TimeSpan.FromSeconds(30));

        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        var result = _senderProbe.ExpectMsg<LoadSnapshotResult>(TimeSpan.FromSeconds(30));
        Assert.NotNull(result.Snapshot);
        Assert.Equal(100, result.Snapshot.Metadata.SequenceNr);
        var loaded = Assert.IsType<byte[]>(result.Snapshot.Snapshot);
        Assert.True(big.AsSpan().SequenceEqual(loaded), "the 10 MB snapshot came back different");
    }

    [Fact]
    public void Serializes_snapshots_with_their_manifest()
    {
        var snap = new ManifestedEvent("snapshot state", 2);
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, DateTime.MinValue), snap), _senderProbe.Ref);
        _senderProbe.ExpectMsg<SaveSnapshotSuccess>(m => m.Metadata.PersistenceId == Pid && m.Metadata.SequenceNr == 100);

        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        var result = _senderProbe.ExpectMsg<LoadSnapshotResult>();
        Assert.Equal(snap, result.Snapshot.Snapshot);
        Assert.Equal(100, result.Snapshot.Metadata.SequenceNr);
    }

    [Fact]
    public async Task Fails_to_save_a_snapshot_that_cannot_be_serialized()
    {
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(Pid, 100, DateTime.MinValue), new Unserializable("s")), _senderProbe.Ref);
        _senderProbe.ExpectMsg<SaveSnapshotFailure>(m => m.Metadata.SequenceNr == 100);
        Load(Pid, SnapshotSelectionCriteria.Latest, long.MaxValue);
        ExpectSnapshot(4, long.MaxValue);
        await AssertStoredAsync(11, 12, 13, 14, 15);
    }
}
