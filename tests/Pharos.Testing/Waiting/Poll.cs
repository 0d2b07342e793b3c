namespace Pharos.Testing.Waiting;

/// <summary>Waits for a condition another process or thread makes true, failing with what was waited for.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var patience = timeout ?? TimeSpan.FromSeconds(30);
        using var deadline = new CancellationTokenSource(patience);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
                throw new TimeoutException($"waited {patience.TotalSeconds:0.#} s for {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
