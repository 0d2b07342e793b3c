namespace Pharos.Actors.Edge.Jobs;

/// <summary>What one job process may use; past any of it the process is killed and its task fails.</summary>
/// <param name="MemoryBytes">Resident memory (PHAROS_JOB_MEMORY_MB); the managed heap gets three quarters of it.</param>
/// <param name="Timeout">Wall time of the stage (PHAROS_CLONE_TIMEOUT_SECONDS, PHAROS_ANALYZE_TIMEOUT_SECONDS).</param>
/// <param name="Threads">The processors the runtime in the process sees (and so the threads it sizes its pools by).</param>
public sealed record JobLimits(long MemoryBytes, TimeSpan Timeout, int Threads)
{
    /// <summary>The managed heap's hard limit: room is left for the runtime itself and for libgit2's native memory.</summary>
    public long HeapBytes => MemoryBytes / 4 * 3;
}
