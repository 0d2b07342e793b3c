using LibGit2Sharp;

namespace Pharos.Actors.Edge.Git;

/// <summary>
/// Measures what checking out a commit would write, from the object database and before anything is written: every
/// entry of its tree (files, links, submodule links and directories, each time a tree is reached, since a tree that
/// names one subtree many times is checked out as many times) and the bytes of its files, read from the objects'
/// headers. Stops as soon as a limit is passed, so a small pack that expands to millions of files costs no more than
/// the limit; the walk keeps its own stack, so no depth of nesting reaches the thread's.
/// </summary>
internal static class CheckoutCaps
{
    /// <summary>
    /// Throws <see cref="CloneFailedException"/> (<see cref="CloneFailureKind.RepositoryTooLarge"/>) when
    /// <paramref name="root"/> has more than <paramref name="maxEntries"/> entries or its files more than
    /// <paramref name="maxBytes"/> bytes (0: no limit). Returns false, having stopped, when
    /// <paramref name="keepGoing"/> says so.
    /// </summary>
    public static bool Check(Repository repo, Tree root, int maxEntries, long maxBytes, Func<bool> keepGoing)
    {
        if (maxEntries <= 0 && maxBytes <= 0) return true;
        var sizes = new Dictionary<ObjectId, long>();
        // Trees by id, looked up afresh: an entry reached through its parents builds its path from theirs, which
        // would cost the square of the depth.
        var pending = new Stack<ObjectId>();
        pending.Push(root.Id);
        long entries = 0, bytes = 0;
        while (pending.TryPop(out var treeId))
        {
            if (!keepGoing()) return false;
            var tree = repo.Lookup<Tree>(treeId) ?? throw new CloneFailedException($"tree {treeId} is missing", transient: false);
            foreach (var entry in tree)
            {
                if (++entries > maxEntries && maxEntries > 0)
                    throw new CloneFailedException(
                        $"repository is too large to check out: its tree has more than {maxEntries:N0} entries (files and directories)",
                        transient: false, kind: CloneFailureKind.RepositoryTooLarge);
                switch (entry.TargetType)
                {
                    case TreeEntryTargetType.Tree:
                        pending.Push(entry.Target.Id);
                        break;
                    case TreeEntryTargetType.Blob when maxBytes > 0:
                        var id = entry.Target.Id;
                        if (!sizes.TryGetValue(id, out var size))
                            sizes[id] = size = repo.ObjectDatabase.RetrieveObjectMetadata(id).Size;
                        bytes += size;
                        if (bytes > maxBytes)
                            throw new CloneFailedException(
                                $"repository is too large to check out: its files hold more than {Size(maxBytes)} " +
                                $"({Size(bytes)} counted so far)", transient: false, kind: CloneFailureKind.RepositoryTooLarge);
                        break;
                }
            }
        }
        return true;
    }

    private static string Size(long bytes) => bytes < 1024 * 1024
        ? $"{bytes:N0} bytes"
        : (bytes / (1024.0 * 1024.0)).ToString("0.## MB", System.Globalization.CultureInfo.InvariantCulture);
}
