using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis.Snapshot;

/// <summary>
/// Snapshots in a sorted set per persistence id, scored by sequence number, as Akka.Persistence.Redis keeps them.
/// Saving at a sequence number that already has a snapshot replaces it (one MULTI/EXEC).
/// </summary>
public sealed class RedisSnapshotStore : SnapshotStore
{
    private readonly RedisPluginSettings _settings;
    private readonly RedisKeys _keys;
    private readonly RedisPersistence _redis;
    private readonly ExtendedActorSystem _system;
    private IDatabase? _database;

    public RedisSnapshotStore(Config config)
    {
        _system = (ExtendedActorSystem)Context.System;
        _redis = RedisPersistence.Get(_system);
        _settings = RedisPluginSettings.From(config.WithFallback(RedisPersistence.DefaultConfig()
            .GetConfig("akka.persistence.snapshot-store.redis")), "load-page-size");
        _keys = new RedisKeys(_settings.KeyPrefix);
    }

    private async Task<IDatabase> DatabaseAsync() => _database ??= await _redis.DatabaseAsync(_settings).ConfigureAwait(false);

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        await foreach (var (entry, _) in Matching(persistenceId, criteria).ConfigureAwait(false))
            return new SelectedSnapshot(entry.Metadata, entry.Deserialize(_system));
        return null;
    }

    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var bytes = SnapshotEntry.Write(_system, metadata, snapshot);
        var database = await DatabaseAsync().ConfigureAwait(false);
        var key = _keys.Snapshots(metadata.PersistenceId);
        var transaction = database.CreateTransaction();
        _ = transaction.SortedSetRemoveRangeByScoreAsync(key, metadata.SequenceNr, metadata.SequenceNr);
        _ = transaction.SortedSetAddAsync(key, bytes, metadata.SequenceNr);
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
            throw new RedisException($"Redis did not commit the snapshot of {metadata.PersistenceId} at {metadata.SequenceNr}.");
    }

    protected override async Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var key = _keys.Snapshots(metadata.PersistenceId);
        if (metadata.Timestamp == DateTime.MinValue)
        {
            await database.SortedSetRemoveRangeByScoreAsync(key, metadata.SequenceNr, metadata.SequenceNr).ConfigureAwait(false);
            return;
        }
        // With a timestamp: only the snapshot at that sequence number taken no later than it.
        await DeleteMatching(database, metadata.PersistenceId, new SnapshotSelectionCriteria(metadata.SequenceNr,
            metadata.Timestamp, metadata.SequenceNr, DateTime.MinValue)).ConfigureAwait(false);
    }

    protected override async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        if ((criteria.MinTimestamp ?? DateTime.MinValue) == DateTime.MinValue && criteria.MaxTimeStamp == DateTime.MaxValue)
        {
            // Bounded by sequence numbers only: one command, no snapshot read.
            await database.SortedSetRemoveRangeByScoreAsync(_keys.Snapshots(persistenceId), criteria.MinSequenceNr,
                criteria.MaxSequenceNr).ConfigureAwait(false);
            return;
        }
        await DeleteMatching(database, persistenceId, criteria).ConfigureAwait(false);
    }

    private async Task DeleteMatching(IDatabase database, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        var members = new List<RedisValue>();
        await foreach (var (_, member) in Matching(persistenceId, criteria).ConfigureAwait(false)) members.Add(member);
        if (members.Count > 0)
            await database.SortedSetRemoveAsync(_keys.Snapshots(persistenceId), members.ToArray()).ConfigureAwait(false);
    }

    /// <summary>Snapshots that match, newest sequence number first, read load-page-size at a time.</summary>
    private async IAsyncEnumerable<(SnapshotEntry Entry, RedisValue Member)> Matching(string persistenceId,
        SnapshotSelectionCriteria criteria)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var key = _keys.Snapshots(persistenceId);
        var minTimestamp = criteria.MinTimestamp ?? DateTime.MinValue;
        long skip = 0;
        while (true)
        {
            var page = await database.SortedSetRangeByScoreAsync(key, criteria.MaxSequenceNr, criteria.MinSequenceNr,
                Exclude.None, Order.Descending, skip, _settings.PageSize).ConfigureAwait(false);
            var entries = page.Select(member => (Entry: SnapshotEntry.Read((byte[])member!), Member: member))
                // Newest first within one sequence number too (a store written by another plugin may hold several).
                .OrderByDescending(e => e.Entry.Metadata.SequenceNr).ThenByDescending(e => e.Entry.Metadata.Timestamp);
            foreach (var entry in entries)
            {
                var timestamp = entry.Entry.Metadata.Timestamp;
                if (timestamp <= criteria.MaxTimeStamp && timestamp >= minTimestamp) yield return entry;
            }
            if (page.Length < _settings.PageSize) yield break;
            skip += page.Length;
        }
    }
}
