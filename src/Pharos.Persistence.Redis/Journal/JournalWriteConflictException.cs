namespace Pharos.Persistence.Redis.Journal;

/// <summary>
/// A write refused because the journal already holds <paramref name="storedHighestSequenceNr"/>, at or past the write's
/// first sequence number: another writer of the same persistence id (e.g. a second cluster singleton on the other side
/// of a network partition) wrote first. Writing anyway would fork the persistence id's sequence numbers. The persistent
/// actor hears OnPersistFailure and stops; recovering again, it sees the other writer's events.
/// </summary>
public sealed class JournalWriteConflictException(string persistenceId, long storedHighestSequenceNr,
    long lowestSequenceNr, long highestSequenceNr)
    : Exception($"Refused the write of {persistenceId} sequence numbers {lowestSequenceNr}..{highestSequenceNr}: " +
                $"the journal already holds sequence number {storedHighestSequenceNr}, written by another writer of " +
                "this persistence id. The actor stops; recovering again, it sees that writer's events.")
{
    public string PersistenceId { get; } = persistenceId;

    /// <summary>The highest sequence number in the journal when the write was refused.</summary>
    public long StoredHighestSequenceNr { get; } = storedHighestSequenceNr;

    public long LowestSequenceNr { get; } = lowestSequenceNr;
    public long HighestSequenceNr { get; } = highestSequenceNr;
}
