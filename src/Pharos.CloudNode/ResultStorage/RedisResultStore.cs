using System.Text.Json;
using Pharos.Actors.Results;
using Pharos.Persistence.Redis;
using StackExchange.Redis;

namespace Pharos.CloudNode.ResultStorage;

/// <summary>
/// The result store in Redis (with PHAROS_REDIS), under the key prefix, so that every cloud node on that Redis serves
/// the same results. Keys (P: the prefix; R: a repository's normalised URL; C: a commit SHA):
/// <list type="bullet">
/// <item><c>P results:repos</c>: sorted set, member R, score the Unix ms trained_at of R's newest result.</item>
/// <item><c>P results:latest</c>: hash, field R, value the JSON summary of R's newest result (for GET /repos).</item>
/// <item><c>P results:commits:R</c>: sorted set, member C, score its Unix ms trained_at (the commits kept).</item>
/// <item><c>P results:bundles:R</c>: hash, field C, value the ResultBundle bytes as the edge sent them.</item>
/// <item><c>P results:summaries:R</c>: hash, field C, value the JSON summary of that result.</item>
/// </list>
/// A put (write, prune to the newest N, index) and a delete are each one Lua script, so they are atomic and two nodes
/// never see half of one. The store has a connection of its own: a bundle of hundreds of MB on the journal's
/// connection would hold up the queue's writes behind it.
/// </summary>
/// <param name="database">Where the keys live.</param>
/// <param name="close">Closes what <see cref="Connect"/> opened; null when the caller owns the connection.</param>
public sealed class RedisResultStore(Func<Task<IDatabase>> database, string keyPrefix, int keep, ResultCache cache,
    Func<ValueTask>? close = null) : ResultStore(keep, cache), IAsyncDisposable
{
    private const string PutScript = """
        redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[5])
        local keep = tonumber(ARGV[6])
        local count = redis.call('ZCARD', KEYS[2])
        if count > keep then
          local old = redis.call('ZRANGE', KEYS[2], 0, count - keep - 1)
          redis.call('ZREM', KEYS[2], unpack(old))
          redis.call('HDEL', KEYS[3], unpack(old))
          redis.call('HDEL', KEYS[4], unpack(old))
        end
        local newest = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
        redis.call('ZADD', KEYS[1], newest[2], ARGV[1])
        redis.call('HSET', KEYS[5], ARGV[1], redis.call('HGET', KEYS[4], newest[1]))
        return 1
        """;

    private const string ListScript = """
        local repos = redis.call('ZREVRANGE', KEYS[1], 0, -1)
        local summaries = {}
        for i, repo in ipairs(repos) do summaries[i] = redis.call('HGET', KEYS[2], repo) end
        return summaries
        """;

    private const string DeleteScript = """
        local existed = redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('DEL', KEYS[3], KEYS[4], KEYS[5])
        redis.call('HDEL', KEYS[2], ARGV[1])
        return existed
        """;

    public RedisKey Repos => keyPrefix + "results:repos";
    public RedisKey Latest => keyPrefix + "results:latest";
    public RedisKey Commits(string repoUrl) => keyPrefix + "results:commits:" + repoUrl;
    public RedisKey Bundles(string repoUrl) => keyPrefix + "results:bundles:" + repoUrl;
    public RedisKey Summaries(string repoUrl) => keyPrefix + "results:summaries:" + repoUrl;

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
        await db.ScriptEvaluateAsync(PutScript,
            [Repos, Commits(result.RepoUrl), Bundles(result.RepoUrl), Summaries(result.RepoUrl), Latest],
            [result.RepoUrl, result.CommitSha, result.TrainedAt.ToUnixTimeMilliseconds(), bundle, Json(result), Keep]).WaitAsync(ct).ConfigureAwait(false);
    }

    protected override async Task<IReadOnlyList<StoredResult>> ListNewestAsync(CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var summaries = (RedisResult[])(await db.ScriptEvaluateAsync(ListScript, [Repos, Latest]).WaitAsync(ct).ConfigureAwait(false))!;
        return [.. summaries.Where(s => !s.IsNull).Select(s => FromJson((byte[])s!))];
    }

    protected override async Task<StoredResult?> FindAsync(string repoUrl, string? commitSha, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var json = commitSha is null
            ? await db.HashGetAsync(Latest, repoUrl).WaitAsync(ct).ConfigureAwait(false)
            : await db.HashGetAsync(Summaries(repoUrl), commitSha).WaitAsync(ct).ConfigureAwait(false);
        return json.IsNull ? null : FromJson((byte[])json!);
    }

    protected override async Task<byte[]?> ReadAsync(string repoUrl, string commitSha, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var bytes = await db.HashGetAsync(Bundles(repoUrl), commitSha).WaitAsync(ct).ConfigureAwait(false);
        return bytes.IsNull ? null : (byte[])bytes!;
    }

    protected override async Task<bool> RemoveAsync(string repoUrl, CancellationToken ct)
    {
        var db = await database().ConfigureAwait(false);
        var removed = await db.ScriptEvaluateAsync(DeleteScript,
            [Repos, Latest, Commits(repoUrl), Bundles(repoUrl), Summaries(repoUrl)], [repoUrl]).WaitAsync(ct).ConfigureAwait(false);
        return (long)removed == 1;
    }

    private static byte[] Json(StoredResult result) => JsonSerializer.SerializeToUtf8Bytes(result, PharosJson.Options);

    private static StoredResult FromJson(byte[] json) =>
        JsonSerializer.Deserialize<StoredResult>(json, PharosJson.Options)
        ?? throw new InvalidDataException("A stored result summary is empty.");
}
