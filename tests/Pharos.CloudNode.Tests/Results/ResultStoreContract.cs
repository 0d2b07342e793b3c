using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Results;
using Pharos.Testing.Results;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>
/// What every result store does, run against each real one (<see cref="SqliteResultStoreTests"/>,
/// <see cref="RedisResultStoreTests"/>): durable puts that replace the same commit, the newest N commits kept,
/// newest first, deletes, and reads through the cache that never hide what another instance wrote.
/// </summary>
public abstract class ResultStoreContract
{
    /// <summary>A new store instance over the same storage as every other one the test opens (a restarted node, or another node).</summary>
    protected abstract Task<ResultStore> OpenAsync(int keep = 1, ResultCache? cache = null);

    private static ReadOnlyMemory<byte> Bytes(ResultBundle bundle) => bundle.ToBytes();

    private static void AssertSame(ResultBundle expected, ResultBundle? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(StoredResult.Of(expected.Header), StoredResult.Of(actual.Header));
        Assert.Equal(expected.Header.Graph.Nodes, actual.Header.Graph.Nodes);
        Assert.Equal(expected.Vectors, actual.Vectors);
    }

    [Fact]
    public async Task A_stored_result_is_read_back_whole_and_listed_by_its_summary()
    {
        var store = await OpenAsync();
        var bundle = ResultSamples.Bundle(files: 7, dims: 4);
        var stored = await store.PutAsync(Bytes(bundle));

        Assert.Equal(new StoredResult("https://github.com/o/r", "c1", "task-1", ResultSamples.Noon, 7, 6, 4, 0.5), stored);
        AssertSame(bundle, await store.GetAsync("https://github.com/o/r"));
        AssertSame(bundle, await store.GetAsync("https://github.com/o/r", "c1"));
        Assert.Null(await store.GetAsync("https://github.com/o/r", "c2"));
        Assert.Null(await store.GetAsync("https://github.com/o/other"));
        Assert.Equal([stored], await store.ListAsync());
    }

    [Fact]
    public async Task Results_survive_a_new_store_instance_over_the_same_storage()
    {
        var first = await OpenAsync();
        var bundle = ResultSamples.Bundle(seed: 9);
        var stored = await first.PutAsync(Bytes(bundle));

        var restarted = await OpenAsync();
        Assert.Equal([stored], await restarted.ListAsync());
        AssertSame(bundle, await restarted.GetAsync(stored.RepoUrl));
    }

    [Fact]
    public async Task The_same_repository_and_commit_again_replaces_the_result_whichever_task_sent_it()
    {
        var store = await OpenAsync(keep: 3);
        await store.PutAsync(Bytes(ResultSamples.Bundle(taskId: "task-1", seed: 1)));
        // The delivery repeated after a lost acknowledgement: harmless.
        await store.PutAsync(Bytes(ResultSamples.Bundle(taskId: "task-1", seed: 1)));
        var again = ResultSamples.Bundle(taskId: "task-2", minutes: 5, seed: 2);
        var stored = await store.PutAsync(Bytes(again));

        Assert.Equal([stored], await store.ListAsync());
        AssertSame(again, await store.GetAsync("https://github.com/o/r", "c1"));
    }

    [Fact]
    public async Task By_default_a_newer_commit_replaces_the_older_and_an_older_one_arriving_late_is_not_kept()
    {
        var store = await OpenAsync(keep: 1);
        await store.PutAsync(Bytes(ResultSamples.Bundle(commitSha: "old", minutes: 0)));
        var newer = ResultSamples.Bundle(commitSha: "new", minutes: 10, seed: 2);
        var stored = await store.PutAsync(Bytes(newer));

        Assert.Null(await store.GetAsync("https://github.com/o/r", "old"));
        AssertSame(newer, await store.GetAsync("https://github.com/o/r"));

        await store.PutAsync(Bytes(ResultSamples.Bundle(commitSha: "older", minutes: -10, seed: 3)));
        Assert.Null(await store.GetAsync("https://github.com/o/r", "older"));
        Assert.Equal([stored], await store.ListAsync());
    }

    [Property(MaxTest = 25)]
    public Property The_newest_commits_by_trained_at_are_kept_whatever_order_they_arrive_in() =>
        Prop.ForAll(Gen.Choose(1, 4).ToArbitrary(), Gen.Shuffle(Enumerable.Range(0, 6)).ToArbitrary(), (keep, order) =>
        {
            var store = OpenAsync(keep).GetAwaiter().GetResult();
            var repo = $"https://github.com/keep/{Guid.NewGuid():N}";
            // Minutes repeat (i / 2), so equal trained_at values are ordered by the commit, as the stores order them.
            foreach (var i in order) store.PutAsync(Bytes(ResultSamples.Bundle(repo, $"c{i}", minutes: i / 2, seed: i))).GetAwaiter().GetResult();
            var kept = Enumerable.Range(0, 6).Where(i => store.GetAsync(repo, $"c{i}").GetAwaiter().GetResult() is not null).ToArray();
            var newest = store.GetAsync(repo).GetAwaiter().GetResult()!.Header.CommitSha;
            store.DeleteAsync(repo).GetAwaiter().GetResult();
            return kept.SequenceEqual(Enumerable.Range(6 - keep, keep)) && newest == "c5";
        });

    [Fact]
    public async Task Repositories_are_listed_by_their_newest_result_newest_first()
    {
        var store = await OpenAsync(keep: 2);
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a1", minutes: 1)));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/b", "b1", minutes: 2)));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a2", minutes: 3)));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/c", "c1", minutes: -5)));

        var list = await store.ListAsync();
        Assert.Equal(["https://github.com/o/a", "https://github.com/o/b", "https://github.com/o/c"], list.Select(r => r.RepoUrl));
        Assert.Equal(["a2", "b1", "c1"], list.Select(r => r.CommitSha));
    }

    [Fact]
    public async Task Deleting_a_repository_removes_all_its_commits_and_nothing_else()
    {
        var store = await OpenAsync(keep: 3);
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/gone", "g1", minutes: 1)));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/gone", "g2", minutes: 2)));
        var kept = await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/kept", "k1")));
        Assert.NotNull(await store.GetAsync("https://github.com/o/gone"));

        Assert.True(await store.DeleteAsync("https://github.com/o/gone"));
        Assert.Null(await store.GetAsync("https://github.com/o/gone"));
        Assert.Null(await store.GetAsync("https://github.com/o/gone", "g1"));
        Assert.Equal([kept], await store.ListAsync());
        Assert.False(await store.DeleteAsync("https://github.com/o/gone"));
        Assert.Equal([kept], await (await OpenAsync()).ListAsync());
    }

    [Fact]
    public async Task Bytes_that_are_not_a_bundle_are_refused_and_nothing_is_stored()
    {
        var store = await OpenAsync();
        var bytes = ResultSamples.Bundle().ToBytes();
        await Assert.ThrowsAsync<InvalidDataException>(() => store.PutAsync("not a bundle"u8.ToArray()));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.PutAsync(bytes[..^1]));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.PutAsync((byte[])[.. bytes, 0, 0]));
        Assert.Empty(await store.ListAsync());
    }

    [Fact]
    public async Task Repeated_reads_are_served_from_the_cache_until_the_result_changes_even_through_another_instance()
    {
        var cache = new ResultCache();
        var node = await OpenAsync(keep: 1, cache);
        var other = await OpenAsync(keep: 1);
        await node.PutAsync(Bytes(ResultSamples.Bundle(taskId: "task-1", seed: 1)));

        var first = await node.GetAsync("https://github.com/o/r");
        Assert.Same(first, await node.GetAsync("https://github.com/o/r"));
        Assert.Equal(1, cache.Count);

        // Another node replaces the commit: this node's cache must not hide it.
        var replacement = ResultSamples.Bundle(taskId: "task-2", seed: 2);
        await other.PutAsync(Bytes(replacement));
        AssertSame(replacement, await node.GetAsync("https://github.com/o/r"));

        // And deletes it.
        await other.DeleteAsync("https://github.com/o/r");
        Assert.Null(await node.GetAsync("https://github.com/o/r"));
    }

    [Fact]
    public void The_cache_keeps_the_most_recently_used_bundles_within_its_count_and_bytes()
    {
        // Two bundles of 5 files × 8 dims, vectors and context vectors.
        var cache = new ResultCache(maxEntries: 2, maxBytes: 2 * 5 * 8 * 2 * sizeof(float));
        var bundles = Enumerable.Range(0, 3).Select(i => ResultSamples.Bundle($"https://github.com/o/r{i}", files: 5, dims: 8)).ToArray();
        var summaries = bundles.Select(b => StoredResult.Of(b.Header)).ToArray();
        cache.Add(summaries[0], bundles[0]);
        cache.Add(summaries[1], bundles[1]);
        Assert.Same(bundles[0], cache.Find(summaries[0]));
        cache.Add(summaries[2], bundles[2]);
        // r1 was the least recently used.
        Assert.Null(cache.Find(summaries[1]));
        Assert.Same(bundles[0], cache.Find(summaries[0]));
        Assert.Same(bundles[2], cache.Find(summaries[2]));
        // Larger than the whole budget once its context vectors count (its vectors alone would fit): not kept.
        var large = ResultSamples.Bundle("https://github.com/o/large", files: 11, dims: 8);
        Assert.True(large.Vectors.Length * sizeof(float) < 2 * 5 * 8 * 2 * sizeof(float));
        cache.Add(StoredResult.Of(large.Header), large);
        Assert.Null(cache.Find(StoredResult.Of(large.Header)));
        cache.Forget("https://github.com/o/r0");
        Assert.Equal(1, cache.Count);
    }
}
