using System.Diagnostics;
using Xunit.Sdk;

namespace Pharos.Testing.Nodes;

/// <summary>Polling with a deadline; a timeout fails the test with what was last seen and the nodes' logs.</summary>
public static class Eventually
{
    /// <summary>Generous: conditions are awaited, never timed; this only bounds a test that would hang.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(150);

    /// <param name="probe">Reads the current value.</param>
    /// <param name="done">True when the value is the awaited one.</param>
    /// <param name="what">Says what is awaited, for the failure message.</param>
    /// <param name="diagnostics">The logs to show when it fails (or a node that died meanwhile).</param>
    /// <param name="abort">Returns a reason when waiting longer is pointless (a node process exited).</param>
    /// <param name="pollInterval">Between probes; <see cref="PollInterval"/> unless a state is brief.</param>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what,
        TimeSpan? timeout = null, Func<string>? diagnostics = null, Func<string?>? abort = null, TimeSpan? pollInterval = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var sw = Stopwatch.StartNew();
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last)) return last;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                lastError = e;
            }
            var reason = abort?.Invoke();
            if (reason is not null || sw.Elapsed > limit)
            {
                var why = reason ?? $"not within {limit.TotalSeconds:0} s";
                var seen = lastError is not null ? $"last error: {lastError.GetType().Name}: {lastError.Message}" : $"last seen: {Show(last)}";
                throw new XunitException($"Waited for {what}: {why}.\n{seen}\n{diagnostics?.Invoke()}");
            }
            await Task.Delay(pollInterval ?? PollInterval);
        }
    }

    private static string Show<T>(T value) => value switch
    {
        null => "nothing",
        System.Text.Json.JsonElement json => json.GetRawText(),
        _ => value.ToString() ?? "",
    };
}
