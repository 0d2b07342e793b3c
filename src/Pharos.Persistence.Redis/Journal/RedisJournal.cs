using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis.Journal;

/// <summary>
/// Events in a sorted set per persistence id, scored by sequence number, as Akka.Persistence.Redis keeps them.
/// Each <see cref="AtomicWrite"/> is one MULTI/EXEC (all of it or none); recovery reads
/// <c>replay-page-size</c> events per round trip; deleting events keeps the highest sequence number.
/// </summary>
public sealed class RedisJournal : AsyncWriteJournal
{
    private readonly RedisPluginSettings _settings;
    private readonly RedisKeys _keys;
    private readonly RedisPersistence _redis;
    private readonly Akka.Serialization.Serializer _serializer;
    private IDatabase? _database;
    // Persistence ids known to be in the persistenceIds set: SADD only on an id's first write from this journal.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _knownIds = new(StringComparer.Ordinal);

    public RedisJournal(Config config)
    {
        _redis = RedisPersistence.Get(Context.System);
        _settings = RedisPluginSettings.From(config.WithFallback(RedisPersistence.DefaultConfig()
            .GetConfig("akka.persistence.journal.redis")), "replay-page-size");
        _keys = new RedisKeys(_settings.KeyPrefix);
        // Akka's own serializer of persistent representations: the bytes the official plugin stores.
        _serializer = Context.System.Serialization.FindSerializerForType(typeof(IPersistentRepresentation));
    }

    private async Task<IDatabase> DatabaseAsync() => _database ??= await _redis.DatabaseAsync(_settings).ConfigureAwait(false);

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var writes = messages.ToList();
        var rejections = new Exception?[writes.Count];
        var transactions = new List<Task>(writes.Count);
        var now = DateTime.UtcNow.Ticks;
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            SortedSetEntry[] entries;
            try
            {
                entries = ((IImmutableList<IPersistentRepresentation>)write.Payload)
                    .Select(repr => new SortedSetEntry(_serializer.ToBinary(repr.WithTimestamp(now)), repr.SequenceNr))
                    .ToArray();
            }
            catch (Exception e)
            {
                // Not serializable: this write is rejected (the actor is told and goes on) and nothing of it written.
                rejections[i] = e;
                continue;
            }
            var transaction = database.CreateTransaction();
            _ = transaction.SortedSetAddAsync(_keys.Journal(write.PersistenceId), entries);
            _ = transaction.StringSetAsync(_keys.HighestSequenceNr(write.PersistenceId), write.HighestSequenceNr);
            var firstWrite = !_knownIds.ContainsKey(write.PersistenceId);
            if (firstWrite) _ = transaction.SetAddAsync(_keys.PersistenceIds, write.PersistenceId);
            transactions.Add(Execute(transaction, write, firstWrite ? _knownIds : null));
        }
        // A failed transaction fails the whole call: every writer hears a persist failure, as the contract asks.
        await Task.WhenAll(transactions).ConfigureAwait(false);
        return rejections.Any(r => r is not null) ? rejections.ToImmutableList() : null!;
    }

    private static async Task Execute(ITransaction transaction, AtomicWrite write,
        System.Collections.Concurrent.ConcurrentDictionary<string, bool>? knownIds)
    {
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
            throw new RedisException($"Redis did not commit the write of {write.PersistenceId} " +
                                     $"{write.LowestSequenceNr}..{write.HighestSequenceNr}.");
        // Known only once the write is in: a failed first write adds the id again next time.
        knownIds?.TryAdd(write.PersistenceId, true);
    }

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var key = _keys.Journal(persistenceId);
        var next = Math.Max(1, fromSequenceNr);
        var delivered = 0L;
        // Paged by score, not by offset: each page starts after the last event delivered, so deletions between
        // pages cannot make it skip or repeat one.
        while (delivered < max && next <= toSequenceNr)
        {
            var take = (int)Math.Min(_settings.PageSize, max - delivered);
            var page = await database.SortedSetRangeByScoreAsync(key, next, toSequenceNr, Exclude.None, Order.Ascending,
                0, take).ConfigureAwait(false);
            foreach (var member in page)
            {
                var repr = (IPersistentRepresentation)_serializer.FromBinary((byte[])member!, typeof(IPersistentRepresentation));
                recoveryCallback(repr);
                delivered++;
                next = repr.SequenceNr + 1;
            }
            if (page.Length < take) break;
        }
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr,
        CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        var batch = database.CreateBatch();
        var stored = batch.StringGetAsync(_keys.HighestSequenceNr(persistenceId));
        // The last event too, for journals written by a tool that did not keep the counter.
        var last = batch.SortedSetRangeByRankWithScoresAsync(_keys.Journal(persistenceId), -1, -1);
        batch.Execute();
        var highest = (long?)await stored.ConfigureAwait(false) ?? 0L;
        var lastEvent = (await last.ConfigureAwait(false)).Select(e => (long)e.Score).DefaultIfEmpty(0).Max();
        return Math.Max(highest, lastEvent);
    }

    protected override async Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr,
        CancellationToken cancellationToken)
    {
        var database = await DatabaseAsync().ConfigureAwait(false);
        // The highest sequence number stays: a persistence id never reuses a sequence number.
        await database.SortedSetRemoveRangeByScoreAsync(_keys.Journal(persistenceId), double.NegativeInfinity, toSequenceNr)
            .ConfigureAwait(false);
    }
}
