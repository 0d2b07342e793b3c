using Akka.Configuration;

namespace Pharos.Persistence.Testing;

/// <summary>
/// The storage a plugin under test writes to, made fresh for one test: the HOCON that selects the plugin's journal and
/// snapshot store and points them at it, and reads of what they stored there, straight from the storage (not through
/// the plugin), for the specs' storage-level assertions. Disposed after the test's actor system is shut down.
/// </summary>
public abstract class PluginStorage : IDisposable
{
    /// <summary>Selects the plugin's journal and snapshot store as the defaults, on this storage.</summary>
    public abstract Config PluginConfig { get; }

    /// <summary>The events stored for <paramref name="persistenceId"/> that a replay would deliver (deleted ones left out), in sequence order.</summary>
    public abstract Task<IReadOnlyList<IPersistentRepresentation>> ReadEventsAsync(string persistenceId,
        Akka.Serialization.Serialization serialization);

    /// <summary>
    /// The highest sequence number the storage keeps for <paramref name="persistenceId"/>, deleted events included;
    /// null when it keeps nothing for it.
    /// </summary>
    public abstract Task<long?> ReadHighestSequenceNrAsync(string persistenceId);

    /// <summary>The sequence numbers of the snapshots stored for <paramref name="persistenceId"/>, ascending.</summary>
    public abstract Task<IReadOnlyList<long>> ReadSnapshotSequenceNrsAsync(string persistenceId);

    /// <summary>
    /// Damages the stored snapshot of <paramref name="persistenceId"/> at <paramref name="sequenceNr"/> in place, as a
    /// disk or a bad write might: it stays there, and reading it fails.
    /// </summary>
    public abstract Task CorruptSnapshotAsync(string persistenceId, long sequenceNr);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
