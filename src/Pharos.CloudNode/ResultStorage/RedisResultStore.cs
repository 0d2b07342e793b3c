using System.Text.Json;
using Pharos.Actors.Results;
using Pharos.Persistence.Redis;
using StackExchange.Redis;

namespace Pharos.CloudNode.ResultStorage;

/// <summary>
/// The result store in Redis (with PHAROS_REDIS), under the key prefix, so that every cloud node on that Redis serves
/// the same results. Keys (P: the prefix; R: a repository's normalised URL; F: a ref a task named; C: a commit SHA):
/// <list type="bullet">
/// <item><c>P results:repos</c>: sorted set, member R, score the Unix ms trained_at of R's newest result, whatever its ref.</item>
/// <item><c>P results:latest</c>: hash, field R, value the JSON summary of R's newest result, whatever its ref.</item>
/// <item><c>P results:commits:R</c>: sorted set, member C, score its Unix ms trained_at: the default branch's kept commits.</item>
/// <item><c>P results:bundles:R</c>: hash, field C, value the ResultBundle bytes as the edge sent them (default branch).</item>
/// <item><c>P results:summaries:R</c>: hash, field C, value the JSON summary of that result (default branch).</item>
/// <item><c>P results:refs:R</c>: sorted set, member F, score the Unix ms trained_at of F's newest result: R's other refs.</item>
/// <item><c>P results:ref:F:commits:R</c>, <c>P results:ref:F:bundles:R</c>, <c>P results:ref:F:summaries:R</c>: the
/// same three for ref F (a ref holds no <c>:</c>, so the key names F and R unambiguously).</item>
/// </list>
/// The default branch keeps the keys results had before refs, so a store written by an earlier build is read as it is
/// (its results are the default branch's). A put (write, prune that ref to the newest N, index) and a delete are each
/// one Lua script, so they are atomic and two nodes never see half of one. The store has a connection of its own: a
/// bundle of hundreds of MB on the journal's connection would hold up the queue's writes behind it.
/// </summary>
/// <param name="database">Where the keys live.</param>
/// <param name="close">Closes what <see cref="Connect"/> opened; null when the caller owns the connection.</param>
public sealed class RedisResultStore(Func<Task<IDatabase>> database, string keyPrefix, int keep, ResultCache cache,
    Func<ValueTask>? close = null) : ResultStore(keep, cache), IAsyncDisposable
{
    // Shared by the scripts: the keys of (repo, ref) from the prefix (ARGV[1]); '' is the default branch. Newest first
    // is by trained_at, then the greater commit, then the greater ref, as SQLite orders them. The scripts name keys
    // they compute (a repository's refs are known only inside), so the store needs one Redis, not a cluster.
    private const string Common = """
        local prefix = ARGV[1]
        local function keys_of(repo, ref)
          if ref == '' then
            return prefix .. 'results:commits:' .. repo, prefix .. 'results:bundles:' .. repo, prefix .. 'results:summaries:' .. repo
          end
          local base = prefix .. 'results:ref:' .. ref .. ':'
          return base .. 'commits:' .. repo, base .. 'bundles:' .. repo, base .. 'summaries:' .. repo
        end
        local function refs_of(repo)
          local refs = redis.call('ZRANGE', prefix .. 'results:refs:' .. repo, 0, -1)
          table.insert(refs, 1, '')
          return refs
        end
        local function newer(a, b)
          if b == nil then return true end
          if a.ms ~= b.ms then return a.ms > b.ms end
          if a.commit ~= b.commit then return a.commit > b.commit end
          return a.ref > b.ref
        end
        local function newest_of(repo, ref)
          local commits, bundles, summaries = keys_of(repo, ref)
          local top = redis.call('ZREVRANGE', commits, 0, 0, 'WITHSCORES')
          if #top == 0 then return nil end
          return { ms = tonumber(top[2]), commit = top[1], ref = ref, summary = redis.call('HGET', summaries, top[1]) }
        end
        """;

    private const string PutScript = Common + "\n" + """
        local repo, commit, ms, ref, keep = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[8])
        local commits, bundles, summaries = keys_of(repo, ref)
        redis.call('ZADD', commits, ms, commit)
        redis.call('HSET', bundles, commit, ARGV[6])
        redis.call('HSET', summaries, commit, ARGV[7])
        local count = redis.call('ZCARD', commits)
        if count > keep then
          local old = redis.call('ZRANGE', commits, 0, count - keep - 1)
          redis.call('ZREM', commits, unpack(old))
          redis.call('HDEL', bundles, unpack(old))
          redis.call('HDEL', summaries, unpack(old))
        end
        if ref ~= '' then
          redis.call('ZADD', prefix .. 'results:refs:' .. repo, newest_of(repo, ref).ms, ref)
        end
        local newest = nil
        for _, r in ipairs(refs_of(repo)) do
          local candidate = newest_of(repo, r)
          if candidate ~= nil and newer(candidate, newest) then newest = candidate end
        end
        redis.call('ZADD', prefix .. 'results:repos', newest.ms, repo)
        redis.call('HSET', prefix .. 'results:latest', repo, newest.summary)
        return 1
        """;

    // The newest summary of every (repository, ref).
    private const string ListScript = Common + "\n" + """
        local repos = redis.call('ZREVRANGE', prefix .. 'results:repos', 0, -1)
        local summaries = {}
        for _, repo in ipairs(repos) do
          for _, r in ipairs(refs_of(repo)) do
            local newest = newest_of(repo, r)
            if newest ~= nil and newest.summary then table.insert(summaries, newest.summary) end
          end
        end
        return summaries
        """;

    // The newest summary of a commit (ARGV[3]) in any of the repository's refs.
    private const string FindCommitScript = Common + "\n" + """
        local repo, commit = ARGV[2], ARGV[3]
        local found = nil
        for _, r in ipairs(refs_of(repo)) do
          local commits, bundles, summaries = keys_of(repo, r)
          local ms = redis.call('ZSCORE', commits, commit)
          if ms then
            local candidate = { ms = tonumber(ms), commit = commit, ref = r, summary = redis.call('HGET', summaries, commit) }
            if newer(candidate, found) then found = candidate end
          end
        end
        if found == nil then return false end
        return found.summary
        """;

    // The newest summary of one ref (ARGV[3]; '' the default branch).
    private const string FindRefScript = Common + "\n" + """
        local newest = newest_of(ARGV[2], ARGV[3])
        if newest == nil then return false end
        return newest.summary
        """;

    private const string DeleteScript = Common + "\n" + """
        local repo = ARGV[2]
        local existed = redis.call('ZREM', prefix .. 'results:repos', repo)
        for _, r in ipairs(refs_of(repo)) do
          local commits, bundles, summaries = keys_of(repo, r)
          redis.call('DEL', commits, bundles, summaries)
        end
        redis.call('DEL', prefix .. 'results:refs:' .. repo)
        redis.call('HDEL', prefix .. 'results:latest', repo)
        return existed
        """;

    public RedisKey Repos => keyPrefix + "results:repos";
    public RedisKey Latest => keyPrefix + "results:latest";
    public RedisKey Refs(string repoUrl) => keyPrefix + "results:refs:" + repoUrl;
    public RedisKey Commits(string repoUrl, string gitRef = ResultRefs.DefaultBranch) => RefKey(gitRef, "commits:", repoUrl);
    public RedisKey Bundles(string repoUrl, string gitRef = ResultRefs.DefaultBranch) => RefKey(gitRef, "bundles:", repoUrl);
    public RedisKey Summaries(string repoUrl, string gitRef = ResultRefs.DefaultBranch) => RefKey(gitRef, "summaries:", repoUrl);

    private RedisKey RefKey(string gitRef, string kind, string repoUrl) =>
        gitRef.Length == 0 ? keyPrefix + "results:" + kind + repoUrl : keyPrefix + "results:ref:" + gitRef + ":" + kind + repoUrl;

    /// <summary>A store on a connection of its own to PHAROS_REDIS, opened at its first use and closed with the store.</summary>
    public static RedisResultStore Connect(string configuration, string keyPrefix, int keep, ResultCache cache)
    {
        var options = RedisConnection.Parse(configuration);
        options.ClientName = "pharos-results";
        // Large values: the journal's short timeout is for small writes under an HTTP request's deadline.
        options.AsyncTimeout = Math.Max(options.AsyncTimeout, 60_000);
        var connection = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(options));
        return new RedisResultStore(async () => (await connection.Value.ConfigureAwait(false)).GetDatabase(), keyPrefix, keep, cache,
            async () =>
            {
                if (connection.IsValueCreated && connection.Value.IsCompletedSuccessfully)
                    await connection.Value.Result.DisposeAsync().ConfigureAwait(false);
            });
    }

    public ValueTask DisposeAsync() => close?.Invoke() ?? ValueTask.CompletedTask;

    protected override async Task WriteAsync(StoredResult result, ReadOnlyMemory<byte> bundle, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        await db.ScriptEvaluateAsync(PutScript, [],
            [keyPrefix, result.RepoUrl, result.CommitSha, result.TrainedAt.ToUnixTimeMilliseconds(), result.Ref ?? ResultRefs.DefaultBranch,
                bundle, Json(result), Keep]).WaitAsync(ct).ConfigureAwait(false);
    }

    protected override async Task<IReadOnlyList<StoredResult>> ListNewestAsync(CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var summaries = (RedisResult[])(await db.ScriptEvaluateAsync(ListScript, [], [keyPrefix]).WaitAsync(ct).ConfigureAwait(false))!;
        return
        [
            .. summaries.Where(s => !s.IsNull).Select(s => FromJson((byte[])s!))
                .OrderByDescending(r => r.TrainedAt.ToUnixTimeMilliseconds())
                .ThenByDescending(r => r.RepoUrl, StringComparer.Ordinal)
                .ThenByDescending(r => r.Ref ?? ResultRefs.DefaultBranch, StringComparer.Ordinal),
        ];
    }

    protected override async Task<StoredResult?> FindSummaryAsync(string repoUrl, string? commitSha, string? gitRef, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var json = (commitSha, gitRef) switch
        {
            (null, null) => await db.HashGetAsync(Latest, repoUrl).WaitAsync(ct).ConfigureAwait(false),
            (null, { } r) => (RedisValue)await db.ScriptEvaluateAsync(FindRefScript, [], [keyPrefix, repoUrl, r]).WaitAsync(ct).ConfigureAwait(false),
            ({ } c, null) => (RedisValue)await db.ScriptEvaluateAsync(FindCommitScript, [], [keyPrefix, repoUrl, c]).WaitAsync(ct).ConfigureAwait(false),
            ({ } c, { } r) => await db.HashGetAsync(Summaries(repoUrl, r), c).WaitAsync(ct).ConfigureAwait(false),
        };
        return json.IsNull ? null : FromJson((byte[])json!);
    }

    protected override async Task<byte[]?> ReadAsync(string repoUrl, string gitRef, string commitSha, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var bytes = await db.HashGetAsync(Bundles(repoUrl, gitRef), commitSha).WaitAsync(ct).ConfigureAwait(false);
        return bytes.IsNull ? null : (byte[])bytes!;
    }

    protected override async Task<bool> RemoveAsync(string repoUrl, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var removed = await db.ScriptEvaluateAsync(DeleteScript, [], [keyPrefix, repoUrl]).WaitAsync(ct).ConfigureAwait(false);
        return (long)removed == 1;
    }

    private static byte[] Json(StoredResult result) => JsonSerializer.SerializeToUtf8Bytes(result, PharosJson.Options);

    private static StoredResult FromJson(byte[] json) =>
        JsonSerializer.Deserialize<StoredResult>(json, PharosJson.Options)
        ?? throw new InvalidDataException("A stored result summary is empty.");
}
