using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Snapshot;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis.Snapshot;

/// <summary>
/// Snapshots in a sorted set per persistence id, scored by sequence number, as Akka.Persistence.Redis keeps them.
/// Saving at a sequence number that already has a snapshot replaces it (one MULTI/EXEC). A snapshot that cannot be
/// read is passed over for the one before it (<c>max-load-attempts</c>), as Akka's local snapshot store does.
/// </summary>
public sealed class RedisSnapshotStore : SnapshotStore
{
    private readonly RedisPluginSettings _settings;
    private readonly RedisKeys _keys;
    private readonly RedisPersistence _redis;
    private readonly ExtendedActorSystem _system;
    private readonly int _maxLoadAttempts;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IDatabase? _database;

    public RedisSnapshotStore(Config config)
    {
        _system = (ExtendedActorSystem)Context.System;
        _redis = RedisPersistence.Get(_system);
        config = config.WithFallback(RedisPersistence.DefaultConfig().GetConfig("akka.persistence.snapshot-store.redis"));
        _settings = RedisPluginSettings.From(config, "load-page-size");
        _keys = new RedisKeys(_settings.KeyPrefix);
        _maxLoadAttempts = Math.Max(1, config.GetInt("max-load-attempts"));
    }

    private async Task<IDatabase> DatabaseAsync() => _database ??= await _redis.DatabaseAsync(_settings).ConfigureAwait(false);

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken)
    {
        Exception? unreadable = null;
        var attempts = 0;
        await foreach (var (entry, _, sequenceNr, error) in Matching(persistenceId, criteria).ConfigureAwait(false))
        {
            try
            {
                if (error is not null) throw error;
                return new SelectedSnapshot(entry!.Metadata, entry.Deserialize(_system));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The events after the older snapshot are still in the journal (the owner trims behind the one before).
                _log.Warning(e, "The snapshot of {0} at {1} cannot be read; trying the one before it", persistenceId, sequenceNr);
                unreadable = e;
                if (++attempts >= _maxLoadAttempts) break;
            }
        }
        // None could be read: recovery fails rather than start from nothing, as if no snapshot had been taken.
        if (unreadable is not null) throw unreadable;
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
        // An entry that cannot be read has no timestamp to compare: only a delete by sequence numbers removes it.
        await foreach (var (entry, member, _, _) in Matching(persistenceId, criteria).ConfigureAwait(false))
            if (entry is not null) members.Add(member);
        if (members.Count > 0)
            await database.SortedSetRemoveAsync(_keys.Snapshots(persistenceId), members.ToArray()).ConfigureAwait(false);
    }

    /// <summary>
    /// Snapshots that match, newest sequence number (their score) first, read load-page-size at a time. An entry whose
    /// envelope cannot be read comes with its error, in its place in the order.
    /// </summary>
    private async IAsyncEnumerable<(SnapshotEntry? Entry, RedisValue Member, long SequenceNr, Exception? Error)> Matching(
        string persistenceId, SnapshotSelectionCriteria criteria)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var key = _keys.Snapshots(persistenceId);
        var minTimestamp = criteria.MinTimestamp ?? DateTime.MinValue;
        long skip = 0;
        while (true)
        {
            var page = await database.SortedSetRangeByScoreWithScoresAsync(key, criteria.MaxSequenceNr, criteria.MinSequenceNr,
                Exclude.None, Order.Descending, skip, _settings.PageSize).ConfigureAwait(false);
            var entries = page.Select(scored => Read(scored))
                // Newest first within one sequence number too (a store written by another plugin may hold several).
                .OrderByDescending(e => e.SequenceNr).ThenByDescending(e => e.Entry?.Metadata.Timestamp ?? DateTime.MaxValue);
            foreach (var entry in entries)
            {
                var timestamp = entry.Entry?.Metadata.Timestamp;
                if (timestamp is null || (timestamp <= criteria.MaxTimeStamp && timestamp >= minTimestamp)) yield return entry;
            }
            if (page.Length < _settings.PageSize) yield break;
            skip += page.Length;
        }
    }

    private static (SnapshotEntry? Entry, RedisValue Member, long SequenceNr, Exception? Error) Read(SortedSetEntry scored)
    {
        try
        {
            return (SnapshotEntry.Read((byte[])scored.Element!), scored.Element, (long)scored.Score, null);
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or ArgumentException or OverflowException)
        {
            return (null, scored.Element, (long)scored.Score, e);
        }
    }
}
