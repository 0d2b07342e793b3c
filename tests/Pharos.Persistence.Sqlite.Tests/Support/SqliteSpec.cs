namespace Pharos.Persistence.Sqlite.Tests.Support;

/// <summary>Base of the SQLite-only specs: the shared <see cref="PluginSpec{TStorage}"/> on fresh files of the test's own.</summary>
public abstract class SqliteSpec(ITestOutputHelper output, SqliteStorage? storage = null)
    : PluginSpec<SqliteStorage>(storage ?? new SqliteStorage(), output, SystemName)
{
    public const string SystemName = "sqlite-spec";

    /// <summary>
    /// Writes <paramref name="writes"/> in one call and waits for every event's confirmation. The plugins start (and
    /// create their tables) on first use: this is the first use when nothing came before.
    /// </summary>
    protected void WriteAndConfirm(params AtomicWrite[] writes)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new WriteMessages(writes, probe.Ref, ActorInstanceId));
        probe.ExpectMsg<WriteMessagesSuccessful>();
        foreach (var persistent in writes.SelectMany(w => (IEnumerable<IPersistentRepresentation>)w.Payload))
            probe.ExpectMsg<WriteMessageSuccess>(m => m.Persistent.SequenceNr == persistent.SequenceNr);
    }

    /// <summary>Replays every event of <paramref name="persistenceId"/> and returns them with the highest sequence number reported.</summary>
    protected (List<IPersistentRepresentation> Events, long Highest) ReplayAll(string? persistenceId = null)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, persistenceId ?? Pid, probe.Ref));
        var events = new List<IPersistentRepresentation>();
        while (true)
        {
            switch (probe.ExpectMsg<object>())
            {
                case ReplayedMessage replayed:
                    events.Add(replayed.Persistent);
                    break;
                case RecoverySuccess success:
                    return (events, success.HighestSequenceNr);
                case var other:
                    throw new InvalidOperationException($"unexpected {other} during a replay");
            }
        }
    }

    /// <summary>Starts the journal and the snapshot store and waits until both answered: their tables exist.</summary>
    protected void StartPlugins()
    {
        var probe = CreateTestProbe();
        Journal.Tell(new ReplayMessages(0, long.MaxValue, long.MaxValue, "nobody", probe.Ref));
        probe.ExpectMsg<RecoverySuccess>();
        SnapshotStore.Tell(new LoadSnapshot("nobody", SnapshotSelectionCriteria.Latest, long.MaxValue), probe.Ref);
        probe.ExpectMsg<LoadSnapshotResult>();
    }

    /// <summary>Deletes the events of <see cref="PluginSpec{TStorage}.Pid"/> up to <paramref name="toSequenceNr"/> and waits for the confirmation.</summary>
    protected void DeleteTo(long toSequenceNr)
    {
        var probe = CreateTestProbe();
        Journal.Tell(new DeleteMessagesTo(Pid, toSequenceNr, probe.Ref));
        probe.ExpectMsg<DeleteMessagesSuccess>(m => m.ToSequenceNr == toSequenceNr);
    }
}
