using Pharos.Actors.Results;
using Pharos.CodeGraph.Results;

namespace Pharos.CloudNode.ResultStorage;

/// <summary>
/// The few parsed bundles read last, bounded by count and by the bytes of their vectors and context vectors (least
/// recently used goes first); a bundle larger than the whole budget is not kept. Each entry is found by the summary it
/// was read with.
/// </summary>
public sealed class ResultCache(int maxEntries = ResultCache.DefaultMaxEntries, long maxBytes = ResultCache.DefaultMaxBytes)
{
    public const int DefaultMaxEntries = 8;
    public const long DefaultMaxBytes = 512L * 1024 * 1024;

    private sealed record Entry(StoredResult Summary, ResultBundle Bundle, long Bytes);

    private readonly Lock _gate = new();
    private readonly LinkedList<Entry> _entries = []; // most recently used first
    private long _bytes;

    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>The bundle cached under exactly this summary (same ref, commit, task, trained_at and counts), or null.</summary>
    public ResultBundle? Find(StoredResult summary)
    {
        lock (_gate)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Summary != summary) continue;
                _entries.Remove(node);
                _entries.AddFirst(node);
                return node.Value.Bundle;
            }
            return null;
        }
    }

    public void Add(StoredResult summary, ResultBundle bundle)
    {
        // Both matrices: the context vectors are as large as the vectors.
        var bytes = ((long)bundle.Vectors.Length + (bundle.ContextVectors?.Length ?? 0)) * sizeof(float);
        if (maxEntries < 1 || bytes > maxBytes) return;
        lock (_gate)
        {
            RemoveWhere(e => e.Summary.RepoUrl == summary.RepoUrl && e.Summary.CommitSha == summary.CommitSha && e.Summary.Ref == summary.Ref);
            _entries.AddFirst(new Entry(summary, bundle, bytes));
            _bytes += bytes;
            while (_entries.Count > maxEntries || _bytes > maxBytes)
            {
                _bytes -= _entries.Last!.Value.Bytes;
                _entries.RemoveLast();
            }
        }
    }

    /// <summary>Drops every commit of the repository (after a put or a delete: its memory is better spent elsewhere).</summary>
    public void Forget(string repoUrl)
    {
        lock (_gate) RemoveWhere(e => e.Summary.RepoUrl == repoUrl);
    }

    private void RemoveWhere(Func<Entry, bool> match)
    {
        for (var node = _entries.First; node is not null;)
        {
            var next = node.Next;
            if (match(node.Value))
            {
                _bytes -= node.Value.Bytes;
                _entries.Remove(node);
            }
            node = next;
        }
    }
}
