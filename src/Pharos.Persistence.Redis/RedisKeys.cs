namespace Pharos.Persistence.Redis;

/// <summary>The key layout of Akka.Persistence.Redis (see reference.conf).</summary>
public sealed class RedisKeys(string prefix)
{
    public string Journal(string persistenceId) => $"{prefix}journal:persisted:{persistenceId}";
    public string HighestSequenceNr(string persistenceId) => $"{prefix}journal:persisted:{persistenceId}:highestSequenceNr";
    public string PersistenceIds => $"{prefix}journal:persistenceIds";
    public string Snapshots(string persistenceId) => $"{prefix}snapshot:{persistenceId}";
}
