using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Journal;
using StackExchange.Redis;

namespace Pharos.Persistence.Redis.Journal;

/// <summary>
/// Events in a sorted set per persistence id, scored by sequence number, as Akka.Persistence.Redis keeps them.
/// A call's atomic writes of one persistence id are one Lua script (all of them or none), refused with a
/// <see cref="JournalWriteConflictException"/> when the journal already holds a sequence number at or past their first
/// one: two writers of a persistence id (two cluster singletons during a network partition) can never fork its
/// sequence numbers, and the one that lost stops and recovers. Recovery reads <c>replay-page-size</c> events per round
/// trip; deleting events keeps the highest sequence number.
/// </summary>
public sealed class RedisJournal : AsyncWriteJournal
{
    /// <summary>
    /// KEYS: the events (sorted set), the highest sequence number (string), the persistence ids (set).
    /// ARGV: the lowest and the highest sequence number written, the persistence id to add to the set ('' when it is
    /// there already), then score and member of each event. Returns {1, stored highest} when written, {0, stored
    /// highest} when refused. The stored highest is what <see cref="ReadHighestSequenceNrAsync"/> answers, the larger of
    /// the counter (kept when events are deleted) and the last event (for data written without the counter), so that
    /// an actor that recovered to it may write after it and nothing at or before it. The highest is SET from ARGV, not
    /// from a Lua number, which would print 1e+15 for large ones; ZADD takes 500 events at a time, within Lua's stack.
    /// </summary>
    private const string ConditionalWriteScript = """
        local stored = tonumber(redis.call('GET', KEYS[2]) or '0')
        local last = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        if last[2] and tonumber(last[2]) > stored then stored = tonumber(last[2]) end
        if stored >= tonumber(ARGV[1]) then return {0, stored} end
        for i = 4, #ARGV, 1000 do
          redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
        end
        redis.call('SET', KEYS[2], ARGV[2])
        if ARGV[3] ~= '' then redis.call('SADD', KEYS[3], ARGV[3]) end
        return {1, stored}
        """;

    private readonly RedisPluginSettings _settings;
    private readonly RedisKeys _keys;
    private readonly RedisPersistence _redis;
    private readonly Akka.Serialization.Serializer _serializer;
    private IDatabase? _database;
    // Persistence ids known to be in the persistenceIds set: SADD only on an id's first write from this journal.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _knownIds = new(StringComparer.Ordinal);
    // Completes once the last call sent its scripts: each call sends after the one before, also while the connection is
    // still opening, so a later write of an id never reaches Redis first and gets an earlier one refused.
    private Task _previousSent = Task.CompletedTask;

    /// <summary>The events of one persistence id that one call writes, as the script's arguments.</summary>
    private sealed record ConditionalWrite(string PersistenceId, long LowestSequenceNr, long HighestSequenceNr,
        RedisValue[] ScoresAndMembers);

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
        var writes = messages.ToList();
        var rejections = new Exception?[writes.Count];
        var serialized = new List<(AtomicWrite Write, RedisValue[] ScoresAndMembers)>(writes.Count);
        var now = DateTime.UtcNow.Ticks;
        for (var i = 0; i < writes.Count; i++)
        {
            var write = writes[i];
            try
            {
                serialized.Add((write, ((IImmutableList<IPersistentRepresentation>)write.Payload)
                    .SelectMany(repr => new RedisValue[] { repr.SequenceNr, _serializer.ToBinary(repr.WithTimestamp(now)) })
                    .ToArray()));
            }
            catch (Exception e)
            {
                // Not serializable: this write is rejected (the actor is told and goes on) and nothing of it written.
                rejections[i] = e;
            }
        }
        // One script per persistence id: were a later atomic write of the call its own script, it could land on top of
        // another writer's events after an earlier one was refused.
        var conditionalWrites = serialized.GroupBy(s => s.Write.PersistenceId, StringComparer.Ordinal)
            .Select(g => new ConditionalWrite(g.Key, g.Min(s => s.Write.LowestSequenceNr),
                g.Max(s => s.Write.HighestSequenceNr), g.SelectMany(s => s.ScoresAndMembers).ToArray()))
            .ToList();

        var previousSent = _previousSent;
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _previousSent = sent.Task;
        List<Task> scripts;
        try
        {
            await previousSent.ConfigureAwait(false);
            var database = await DatabaseAsync().ConfigureAwait(false);
            scripts = conditionalWrites.Select(w => ExecuteAsync(database, w)).ToList();
        }
        finally
        {
            sent.SetResult();
        }
        // A failed or refused script fails the whole call: every writer hears a persist failure, as the contract asks.
        await Task.WhenAll(scripts).ConfigureAwait(false);
        return rejections.Any(r => r is not null) ? rejections.ToImmutableList() : null!;
    }

    private async Task ExecuteAsync(IDatabase database, ConditionalWrite write)
    {
        var firstWrite = !_knownIds.ContainsKey(write.PersistenceId);
        var pid = write.PersistenceId;
        // ScriptEvaluateAsync sends EVALSHA once the script is known and EVAL again when Redis answers NOSCRIPT (a
        // restarted server or SCRIPT FLUSH).
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(ConditionalWriteScript,
            [_keys.Journal(pid), _keys.HighestSequenceNr(pid), _keys.PersistenceIds],
            [write.LowestSequenceNr, write.HighestSequenceNr, firstWrite ? pid : RedisValue.EmptyString,
                .. write.ScoresAndMembers]).ConfigureAwait(false))!;
        if ((long)result[0] != 1)
            throw new JournalWriteConflictException(pid, (long)result[1], write.LowestSequenceNr, write.HighestSequenceNr);
        // Known only once the write is in: a failed first write adds the id again next time.
        if (firstWrite) _knownIds.TryAdd(pid, true);
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
