using Pharos.Actors.Results;
using Pharos.CloudNode.ResultStorage;
using Pharos.CodeGraph.Results;
using Pharos.Testing.Results;

namespace Pharos.CloudNode.Tests.Results;

/// <summary>
/// What every result store does, run against each real one (<see cref="SqliteResultStoreTests"/>,
/// <see cref="RedisResultStoreTests"/>): durable puts that replace the same ref and commit, the newest N commits kept
/// per repository and ref (the default branch a ref of its own), newest first, reads by commit and by ref, deletes, and
/// reads through the cache that never hide what another instance wrote.
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

    private const string Repo = "https://github.com/o/r";

    private async Task<string?> TaskAtAsync(ResultStore store, string? commit = null, string? gitRef = null) =>
        (await store.GetAsync(Repo, commit, gitRef))?.Header.TaskId;

    [Fact]
    public async Task Each_ref_keeps_its_own_newest_commits_and_the_default_branch_is_a_ref_of_its_own()
    {
        var store = await OpenAsync(keep: 1);
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "main1", "t-main1", minutes: 0)));
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "tag1", "t-tag1", minutes: 1, gitRef: "v1.0")));
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "rel1", "t-rel1", minutes: 2, gitRef: "release/2.x")));

        // Embedding a tag after the default branch keeps the default branch's result.
        Assert.Equal("t-main1", await TaskAtAsync(store, gitRef: ResultRefs.DefaultBranch));
        Assert.Equal("t-tag1", await TaskAtAsync(store, gitRef: "v1.0"));
        Assert.Equal("t-rel1", await TaskAtAsync(store, gitRef: "release/2.x"));
        Assert.Equal("t-tag1", await TaskAtAsync(store, commit: "tag1"));
        // Without a ref, the newest of the repository whatever its ref.
        Assert.Equal("t-rel1", await TaskAtAsync(store));
        Assert.Null(await TaskAtAsync(store, gitRef: "v2.0"));
        Assert.Null(await TaskAtAsync(store, commit: "tag1", gitRef: ResultRefs.DefaultBranch));
        Assert.Equal("v1.0", (await store.FindAsync(Repo, "tag1"))?.Ref);

        // A newer commit of one ref replaces that ref's older one only.
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "main2", "t-main2", minutes: 3)));
        Assert.Null(await TaskAtAsync(store, commit: "main1"));
        Assert.Equal("t-main2", await TaskAtAsync(store, gitRef: ResultRefs.DefaultBranch));
        Assert.Equal("t-tag1", await TaskAtAsync(store, gitRef: "v1.0"));
        Assert.Equal("t-main2", await TaskAtAsync(store));
        // And an older commit of a ref arriving late is not kept, whatever the other refs hold.
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "tag0", "t-tag0", minutes: -5, gitRef: "v1.0")));
        Assert.Null(await TaskAtAsync(store, commit: "tag0"));
        Assert.Equal("t-tag1", await TaskAtAsync(store, gitRef: "v1.0"));
        Assert.Equal(["t-main2", "t-rel1", "t-tag1"], (await store.ListAsync()).Select(r => r.TaskId));
    }

    [Fact]
    public async Task The_same_commit_under_two_refs_is_two_results_each_kept_and_replaced_by_its_own_ref()
    {
        var store = await OpenAsync(keep: 1);
        // A tag on the default branch's tip: the same commit, embedded by two tasks.
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "tip", "t-main", minutes: 0, seed: 1)));
        var tagged = ResultSamples.Bundle(Repo, "tip", "t-tag", minutes: 1, seed: 2, gitRef: "v1.0");
        await store.PutAsync(Bytes(tagged));

        Assert.Equal("t-main", await TaskAtAsync(store, "tip", ResultRefs.DefaultBranch));
        Assert.Equal("t-tag", await TaskAtAsync(store, "tip", "v1.0"));
        // The commit alone: the newest result at it, whichever ref.
        Assert.Equal("t-tag", await TaskAtAsync(store, "tip"));
        var list = await store.ListAsync();
        Assert.Equal([("t-tag", "v1.0"), ("t-main", null)], list.Select(r => (r.TaskId, r.Ref)));

        // The tag's delivery repeated: harmless, it replaces the tag's result and nothing else.
        await store.PutAsync(Bytes(tagged));
        Assert.Equal(list, await store.ListAsync());

        // The default branch moves on: its copy of the commit goes, the tag's stays.
        await store.PutAsync(Bytes(ResultSamples.Bundle(Repo, "next", "t-next", minutes: 2)));
        Assert.Null(await TaskAtAsync(store, "tip", ResultRefs.DefaultBranch));
        Assert.Equal("t-tag", await TaskAtAsync(store, "tip"));
        AssertSame(tagged, await store.GetAsync(Repo, "tip", "v1.0"));

        Assert.True(await store.DeleteAsync(Repo));
        Assert.Null(await TaskAtAsync(store, gitRef: "v1.0"));
        Assert.Empty(await store.ListAsync());
    }

    [Fact]
    public async Task Each_repository_and_ref_is_listed_by_its_newest_result_with_its_ref_newest_first()
    {
        var store = await OpenAsync(keep: 2);
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a1", minutes: 1)));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a2", minutes: 4, gitRef: "v2")));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/b", "b1", minutes: 2, gitRef: "v2")));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a3", minutes: 3, gitRef: "v1")));
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/a", "a4", minutes: 5, gitRef: "v1")));
        // Equal times: the greater repository, then the greater ref, the default branch last.
        await store.PutAsync(Bytes(ResultSamples.Bundle("https://github.com/o/b", "b2", minutes: 2)));

        var list = await store.ListAsync();
        Assert.Equal([("https://github.com/o/a", "a4", "v1"), ("https://github.com/o/a", "a2", "v2"), ("https://github.com/o/b", "b1", "v2"),
                ("https://github.com/o/b", "b2", null), ("https://github.com/o/a", "a1", null)],
            list.Select(r => (r.RepoUrl, r.CommitSha, r.Ref)));
        Assert.Equal(list, await (await OpenAsync(keep: 2)).ListAsync());
    }

    [Property(MaxTest = 20)]
    public Property Each_ref_keeps_its_newest_commits_whatever_order_they_arrive_in() =>
        Prop.ForAll(Gen.Choose(1, 3).ToArbitrary(), Gen.Shuffle(Enumerable.Range(0, 9)).ToArbitrary(), (keep, order) =>
        {
            var store = OpenAsync(keep).GetAwaiter().GetResult();
            var repo = $"https://github.com/refs/{Guid.NewGuid():N}";
            string?[] refs = [null, "v1", "feature/x"];
            // Put i goes to ref i % 3 at commit c{i}; the minutes repeat (i / 2).
            foreach (var i in order)
                store.PutAsync(Bytes(ResultSamples.Bundle(repo, $"c{i}", minutes: i / 2, seed: i, gitRef: refs[i % 3]))).GetAwaiter().GetResult();
            var ok = true;
            for (var r = 0; r < 3; r++)
            {
                var ofRef = Enumerable.Range(0, 9).Where(i => i % 3 == r).ToArray();
                var kept = ofRef.Where(i => store.GetAsync(repo, $"c{i}", refs[r] ?? ResultRefs.DefaultBranch).GetAwaiter().GetResult() is not null);
                ok &= kept.SequenceEqual(ofRef.TakeLast(keep));
                ok &= store.GetAsync(repo, gitRef: refs[r] ?? ResultRefs.DefaultBranch).GetAwaiter().GetResult()?.Header.CommitSha == $"c{ofRef[^1]}";
            }
            ok &= store.GetAsync(repo).GetAwaiter().GetResult()?.Header.CommitSha == "c8";
            store.DeleteAsync(repo).GetAwaiter().GetResult();
            return ok;
        });

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
    public void Ten_times_the_cache_s_count_of_bundles_leaves_at_most_its_count_cached()
    {
        var cache = new ResultCache();
        for (var i = 0; i < 10 * ResultCache.DefaultMaxEntries; i++)
        {
            var bundle = ResultSamples.Bundle($"https://github.com/o/many{i}", files: 3, dims: 4);
            cache.Add(StoredResult.Of(bundle.Header), bundle);
            Assert.InRange(cache.Count, 1, ResultCache.DefaultMaxEntries);
        }
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
