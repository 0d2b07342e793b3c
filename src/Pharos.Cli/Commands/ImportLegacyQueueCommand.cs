using System.Globalization;
using StackExchange.Redis;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos import-legacy-queue --redis CONN [--key ingest_queue] [--drain]`: moves the tasks of the original Python
/// Pharos queue (a Redis list of JSON <c>{repo_url, submitted_at, ttl}</c> or bare URLs) into Pharos through
/// POST /admin/import (admin scope), one item a request: every ingest rule applies to the URL, and each task keeps its
/// submitted_at and ttl (a bare URL, with none, stays never stale). The server records a stale item as skipped
/// (ttl_expired), as the original's worker would have. The list is left alone unless --drain, which removes exactly the
/// items handled (imported, skipped, rejected), one LREM each.
/// </summary>
internal static class ImportLegacyQueueCommand
{
    public static Command Build(RemoteOptions remote)
    {
        var redis = new Option<string>("--redis")
        {
            Description = "The Redis of the original Pharos: host:port[,password=...] or redis://[user:password@]host:port[/db].",
            Required = true,
        };
        var key = new Option<string>("--key") { Description = "The list holding the queue.", DefaultValueFactory = _ => "ingest_queue" };
        var drain = new Option<bool>("--drain") { Description = "Remove each item handled (imported, stale or rejected) from the list." };
        var command = new Command("import-legacy-queue", "Move the tasks of the original Python Pharos queue into this one.") { redis, key, drain };
        command.SetAction(remote.Action((client, context, result, ct) =>
            ImportAsync(client, context, result.GetValue(redis)!, result.GetValue(key)!, result.GetValue(drain), ct)));
        return command;
    }

    /// <summary>One item of the original queue; <paramref name="Branch"/> is what its worker cloned (null: the default branch).</summary>
    internal sealed record LegacyItem(string? RepoUrl, DateTimeOffset? SubmittedAt, double? Ttl, string? Priority, string? Problem,
        string? Branch = null);

    private static async Task<int> ImportAsync(PharosClient client, ParseResultContext context, string connection, string key,
        bool drain, CancellationToken ct)
    {
        var options = RedisOptions(connection);
        ConnectionMultiplexer redis;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException e)
        {
            throw new CliException($"cannot reach Redis at {string.Join(",", options.EndPoints)}: {FirstLine(e.Message)}");
        }
        await using var _ = redis;
        var db = redis.GetDatabase();
        RedisValue[] items;
        try
        {
            var type = await db.KeyTypeAsync(key);
            if (type is not (RedisType.List or RedisType.None))
                throw new CliException($"the key '{key}' holds a {type.ToString().ToLowerInvariant()}, not a list: is it the queue of the original Pharos?");
            items = await db.ListRangeAsync(key);
        }
        catch (RedisException e)
        {
            throw new CliException($"Redis refused to read '{key}': {FirstLine(e.Message)}");
        }
        if (items.Length == 0)
        {
            context.Output.WriteLine($"The list '{key}' is empty: nothing to import.");
            return 0;
        }

        int imported = 0, skipped = 0, rejected = 0, removed = 0;
        async Task HandledAsync(RedisValue raw)
        {
            if (drain) removed += (int)await db.ListRemoveAsync(key, raw, count: 1);
        }

        try
        {
            foreach (var raw in items)
            {
                ct.ThrowIfCancellationRequested();
                var item = Parse(raw.ToString());
                if (item.Problem is not null)
                {
                    context.Output.WriteLine($"rejected  {Short(raw.ToString())}  {item.Problem}");
                    rejected++;
                    await HandledAsync(raw);
                    continue;
                }
                // The server decides staleness, by its clock: a ttl without a submission time means nothing (never stale).
                var body = new Dictionary<string, object?>
                {
                    ["repo_url"] = item.RepoUrl!,
                    ["submitted_at"] = item.SubmittedAt,
                    ["ttl"] = item.SubmittedAt is null ? null : item.Ttl,
                };
                if (item.Priority is { } priority) body["priority"] = priority;
                if (item.Branch is { } branch) body["ref"] = branch;
                try
                {
                    var answer = (await client.PostAsync("admin/import", body, ct)).Read<ImportedJobDto>();
                    var job = answer.Job;
                    if (job.Status == JobStatus.Skipped)
                    {
                        context.Output.WriteLine($"skipped   {item.RepoUrl}  stale: submitted {Format.Time(job.SubmittedAt)}, ttl {job.Ttl} s " +
                                                 $"(recorded as task {job.TaskId})");
                        skipped++;
                    }
                    else
                    {
                        context.Output.WriteLine($"imported  {item.RepoUrl}  task {job.TaskId} (position {answer.Position})" +
                                                 (job.ExpiresAt is null ? ", never stale" : ""));
                        imported++;
                    }
                }
                catch (ApiException e) when (e.Status is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.RequestEntityTooLarge)
                {
                    // The server refused this item for good (its URL, or it is queued already): report it and go on.
                    context.Output.WriteLine($"rejected  {item.RepoUrl}  {(int)e.Status}: {e.Message}");
                    rejected++;
                }
                await HandledAsync(raw);
            }
        }
        finally
        {
            // Also after a refusal that stops the run (401, 403, 429, 503, no server): what was done is said.
            var left = drain ? $"Removed {removed} handled {(removed == 1 ? "item" : "items")} from '{key}'." : $"Left '{key}' as it was (--drain removes the handled items).";
            context.Output.WriteLine($"Imported {imported}, skipped {skipped} (stale), rejected {rejected}. {left}");
        }
        return 0;
    }

    /// <summary>
    /// One item of the legacy list: a JSON object with repo_url (submitted_at, ttl optional) or a bare URL. A
    /// submitted_at or ttl that is there but cannot be read makes the item a problem, not a task without them.
    /// </summary>
    internal static LegacyItem Parse(string raw)
    {
        var text = raw.Trim();
        if (text.Length == 0) return new LegacyItem(null, null, null, null, "an empty item");
        if (!text.StartsWith('{'))
        {
            if (text.StartsWith('"'))
            {
                try { text = JsonSerializer.Deserialize<string>(text) ?? ""; }
                catch (JsonException) { return new LegacyItem(null, null, null, null, "not JSON and not a URL"); }
            }
            return text.Any(char.IsWhiteSpace)
                ? new LegacyItem(null, null, null, null, "not a URL")
                : new LegacyItem(text, null, null, null, null);
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.Str("repo_url") is not { Length: > 0 } url)
                return new LegacyItem(null, null, null, null, "a JSON item without repo_url");
            var (submitted, ttl) = (Time(root.Get("submitted_at")), Seconds(root.Get("ttl")));
            if (root.Get("submitted_at") is { } rawTime && submitted is null)
                return new LegacyItem(null, null, null, null, $"submitted_at {Short(rawTime.GetRawText())} is not a time");
            if (root.Get("ttl") is { } rawTtl && ttl is null)
                return new LegacyItem(null, null, null, null, $"ttl {Short(rawTtl.GetRawText())} is not a number");
            return new LegacyItem(url, submitted, ttl, root.Str("priority"), null, root.Str("branch") is { Length: > 0 } branch ? branch : null);
        }
        catch (JsonException)
        {
            return new LegacyItem(null, null, null, null, "not valid JSON");
        }
    }

    /// <summary>ISO-8601 (no offset means UTC, as Python's utcnow().isoformat() writes it) or Unix seconds.</summary>
    private static DateTimeOffset? Time(JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.Number } n => DateTimeOffset.FromUnixTimeMilliseconds((long)(n.GetDouble() * 1000)),
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var unix) =>
            DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000)),
        { ValueKind: JsonValueKind.String } s when DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) => at,
        _ => null,
    };

    private static double? Seconds(JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        { ValueKind: JsonValueKind.String } s when double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
        _ => null,
    };

    /// <summary>A StackExchange.Redis configuration, or a redis:// or rediss:// URL turned into one.</summary>
    internal static ConfigurationOptions RedisOptions(string connection)
    {
        ConfigurationOptions options;
        // Read as the cloud reads PHAROS_REDIS: one way to understand a Redis connection.
        try { options = Pharos.Persistence.Redis.RedisConnection.Read(connection); }
        catch (Exception e) when (e is ArgumentException or UriFormatException) { throw new CliException($"--redis: {e.Message}"); }
        if (options.EndPoints.Count == 0) throw new CliException("--redis names no Redis server.");
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 5000);
        options.ConnectRetry = 1;
        return options;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Short(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
