using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Serialization;
using StackExchange.Redis;

namespace Pharos.Partition.Tests.Checking;

/// <summary>One stored event of a persistence id: its sequence number, the incarnation that wrote it, the event.</summary>
/// <param name="Writer">The writer's unique id (Akka's WriterGuid): each incarnation of a persistent actor has its own.</param>
public sealed record JournalEntry(long SequenceNr, string Writer, object Event);

/// <summary>A persistence id's journal as stored: every member of its sorted set, and the highest sequence number key.</summary>
/// <param name="Scores">The score of every member, duplicates included (a fork shows as one score twice).</param>
public sealed record JournalDump(IReadOnlyList<JournalEntry> Entries, IReadOnlyList<long> Scores, long? StoredHighest);

/// <summary>
/// Reads the queue's journal straight from Redis (over the Unix socket, whatever the network does), with Akka's
/// persistence serializer and the Pharos serializer the nodes wrote it with.
/// </summary>
public static class JournalReader
{
    public const string QueuePersistenceId = "pharos-queue";

    private static readonly Lazy<(ActorSystem System, PersistenceMessageSerializer Serializer)> Serialization = new(() =>
    {
        var system = ActorSystem.Create("partition-checker", ConfigurationFactory.ParseString("""
            akka.actor.serializers.pharos = "Pharos.Messages.Serialization.PharosSerializer, Pharos.Messages"
            akka.actor.serialization-bindings { "Pharos.Messages.IPharosMessage, Pharos.Messages" = pharos }
            akka.loglevel = WARNING
            """));
        return (system, new PersistenceMessageSerializer((ExtendedActorSystem)system));
    });

    public static async Task<JournalDump> ReadAsync(IDatabase redis, string persistenceId = QueuePersistenceId)
    {
        var key = $"journal:persisted:{persistenceId}";
        var members = await redis.SortedSetRangeByRankWithScoresAsync(key);
        var highest = await redis.StringGetAsync(key + ":highestSequenceNr");
        var serializer = Serialization.Value.Serializer;
        var entries = members.Select(m =>
        {
            var repr = (IPersistentRepresentation)serializer.FromBinary((byte[])m.Element!, typeof(Persistent));
            return new JournalEntry(repr.SequenceNr, repr.WriterGuid, repr.Payload);
        }).ToList();
        return new JournalDump(entries, members.Select(m => (long)m.Score).ToList(), highest.HasValue ? (long)highest : null);
    }
}
