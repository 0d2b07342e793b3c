using System.Globalization;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>
/// Job processes started before their orders exist, so that a task does not wait for a process to start and for its
/// code to be compiled (bench/jobs): the worker prepares the analysis process when the clone starts, and the next
/// clone process when a task's analysis ends. A spare warms up on a tiny input of its own while it waits
/// (<see cref="JobWarmUp"/>), then runs one order as any job process does, with the same limits, environment and
/// watchdog, and ends. At most one waits per node executable, stage and limits; one not taken within its time
/// (PHAROS_JOB_SPARE_SECONDS) ends, as all of them do when this process ends (their standard input closes).
/// </summary>
public static class JobSpares
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, JobProcess.StartedJob> Waiting = [];

    /// <summary>
    /// Starts a spare for the next <paramref name="kind"/> order under <paramref name="limits"/> unless one waits
    /// already; it ends if not taken within <paramref name="keep"/>. Nothing when <paramref name="keep"/> is zero
    /// (spares are off) or there is no <paramref name="runner"/>; a spare that cannot start leaves the order to start
    /// its own, and to say why.
    /// </summary>
    public static void Prepare(JobRunner? runner, JobKind kind, JobLimits limits, TimeSpan keep)
    {
        if (runner is null || keep <= TimeSpan.Zero) return;
        var key = Key(runner, kind, limits);
        JobProcess.StartedJob spare;
        lock (Gate)
        {
            if (Waiting.TryGetValue(key, out var waiting) && !waiting.HasExited) return;
            try
            {
                spare = JobProcess.StartedJob.Start(runner, kind, limits, spare: true);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return;
            }
            waiting?.Retire();
            Waiting[key] = spare;
        }
        _ = RetireUnusedAsync(key, spare, keep);
    }

    /// <summary>The spare waiting for a <paramref name="kind"/> order under <paramref name="limits"/>, now the caller's; null if none lives.</summary>
    internal static JobProcess.StartedJob? Take(JobRunner runner, JobKind kind, JobLimits limits)
    {
        lock (Gate)
        {
            if (!Waiting.Remove(Key(runner, kind, limits), out var spare)) return null;
            if (!spare.HasExited) return spare;
            spare.Retire();
            return null;
        }
    }

    private static async Task RetireUnusedAsync(string key, JobProcess.StartedJob spare, TimeSpan keep)
    {
        await Task.Delay(keep).ConfigureAwait(false);
        lock (Gate)
        {
            if (!Waiting.TryGetValue(key, out var waiting) || waiting != spare) return;
            Waiting.Remove(key);
        }
        spare.Retire();
    }

    /// <summary>What makes two job processes interchangeable: the program, the stage and what they may use (the stage's
    /// wall time is counted from the order, so it does not count here).</summary>
    private static string Key(JobRunner runner, JobKind kind, JobLimits limits) => string.Join('\0',
        [runner.FileName, .. runner.Arguments, kind.Name(), limits.MemoryBytes.ToString(CultureInfo.InvariantCulture),
            limits.Threads.ToString(CultureInfo.InvariantCulture)]);
}
