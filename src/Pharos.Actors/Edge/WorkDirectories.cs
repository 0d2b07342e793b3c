namespace Pharos.Actors.Edge;

/// <summary>
/// The edge's scratch space under <c>PHAROS_DATA_DIR/work</c>: a fresh directory for every attempt (a clone that
/// had to be abandoned may still be writing into the previous one), removed whatever happened.
/// </summary>
public static class WorkDirectories
{
    /// <summary>A new, empty, not yet created directory for one attempt at a task.</summary>
    public static string NewAttempt(string workRoot, string taskId, int attempt) =>
        Path.Combine(workRoot, $"{taskId}-a{attempt}-{Guid.NewGuid().ToString("N")[..8]}");

    /// <summary>
    /// The name a checkout of <paramref name="repoUrl"/> gets, as `git clone` would name it: the last path segment
    /// without <c>.git</c>, reduced to letters, digits, '.', '-' and '_' ("repository" when nothing is left).
    /// </summary>
    public static string CheckoutName(string repoUrl)
    {
        var path = repoUrl.TrimEnd('/', '\\');
        var last = path[(path.LastIndexOfAny(['/', '\\', ':']) + 1)..];
        if (last.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) last = last[..^4];
        var name = new string(last.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_').ToArray()).Trim('.');
        return name.Length == 0 ? "repository" : name;
    }

    /// <summary>Deletes what a crashed process left behind. Each edge node needs a data directory of its own.</summary>
    public static int PurgeLeftovers(string workRoot)
    {
        if (!Directory.Exists(workRoot)) return 0;
        var count = 0;
        foreach (var leftover in Directory.EnumerateDirectories(workRoot))
        {
            if (TryDelete(leftover)) count++;
        }
        return count;
    }

    /// <summary>
    /// Deletes <paramref name="directory"/> now, or, while a thread that was told to stop still holds files in
    /// it, as soon as it lets go (tried for up to a minute).
    /// </summary>
    public static Task DeleteAsync(string directory)
    {
        if (TryDelete(directory)) return Task.CompletedTask;
        return Task.Run(async () =>
        {
            for (var delay = 100; delay < 60_000; delay *= 2)
            {
                await Task.Delay(delay).ConfigureAwait(false);
                if (TryDelete(directory)) return;
            }
        });
    }

    public static bool TryDelete(string directory)
    {
        try
        {
            Delete(directory);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Deletes a directory tree that git wrote (read-only pack files, symbolic links) if it exists.</summary>
    public static void Delete(string directory)
    {
        if (!Directory.Exists(directory)) return;
        // Walked by hand: SearchOption.AllDirectories descends into a symbolic link to a directory, and a cloned
        // tree may hold one that points anywhere (~/.ssh, say), whose files must never be touched.
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(directory));
        while (pending.TryPop(out var current))
        {
            if (current.LinkTarget is not null) continue;
            foreach (var entry in current.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null) continue;
                if ((entry.Attributes & FileAttributes.ReadOnly) != 0) entry.Attributes &= ~FileAttributes.ReadOnly;
                if (entry is DirectoryInfo subdirectory) pending.Push(subdirectory);
            }
        }
        Directory.Delete(directory, recursive: true);
    }
}
