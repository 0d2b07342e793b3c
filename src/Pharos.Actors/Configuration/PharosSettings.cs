using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Pharos.Actors.Configuration;

/// <summary>
/// Every setting of ../shared/ARCHITECTURE.md, read from environment variables (<c>MAX_QUEUE_SIZE</c>) or the
/// mirrored appsettings keys (<c>Pharos:MaxQueueSize</c>); the environment variable wins. A value that does not
/// parse is a <see cref="SettingsException"/> naming the variable, never a silent default.
/// </summary>
public sealed record PharosSettings
{
    public string? AdminToken { get; init; }
    public string? TokensFile { get; init; }
    public int MaxQueueSize { get; init; } = 10;
    public int TaskTtlSeconds { get; init; } = 86_400;
    public int HistorySize { get; init; } = 100;
    public string DataDir { get; init; } = "./data";
    public string? Redis { get; init; }
    public string RedisKeyPrefix { get; init; } = "";
    public string HttpUrls { get; init; } = "http://127.0.0.1:5080";
    public string ClusterHost { get; init; } = "127.0.0.1";
    /// <summary>Null means the role's default: 4053 on the cloud, 0 (any free port) on an edge.</summary>
    public int? ClusterPort { get; init; }
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public IReadOnlyList<string> AllowedHosts { get; init; } = ["github.com", "gitlab.com", "bitbucket.org", "gitee.com"];
    public IReadOnlyList<string> AllowedSchemes { get; init; } = ["https"];
    public bool AllowLocalRepos { get; init; }
    public bool RequireReadToken { get; init; }
    /// <summary>Requests without a valid token one client address may make a minute on routes that need one (0: no limit).</summary>
    public int AuthFailuresPerMinute { get; init; } = 30;
    /// <summary>Reverse proxies whose X-Forwarded-For names the real client (for the per-client limit and the logs).</summary>
    public IReadOnlyList<System.Net.IPAddress> TrustedProxies { get; init; } = [];
    public bool Standalone { get; init; }
    public int SweepIntervalSeconds { get; init; } = 30;
    public int SnapshotEvery { get; init; } = 100;
    public int LeaseTimeoutSeconds { get; init; } = 300;
    /// <summary>Attempts a task gets before a lost worker fails it with <c>worker_lost</c>.</summary>
    public int MaxAttempts { get; init; } = 3;
    public string? GitToken { get; init; }
    public int MaxRepoMb { get; init; } = 1024;
    public int CloneTimeoutSeconds { get; init; } = 600;
    /// <summary>Workers on this edge node, each running one task at a time.</summary>
    public int Workers { get; init; } = 1;
    /// <summary>Node2Vec epochs, dimensions and threads (0: one per core) on this edge node.</summary>
    public int TrainEpochs { get; init; } = 10;
    public int TrainDimensions { get; init; } = 64;
    public int TrainThreads { get; init; }
    /// <summary>How long a member must stay unreachable before the split brain resolver downs it.</summary>
    public int DownAfterSeconds { get; init; } = 15;
    /// <summary>Console log format: <see cref="LogFormatText"/> or <see cref="LogFormatJson"/> (one JSON object a line).</summary>
    public string LogFormat { get; init; } = LogFormatText;
    /// <summary>PHAROS_TLS_CERT and PHAROS_TLS_CA as given (for messages); <see cref="Tls"/> holds what they load.</summary>
    public string? TlsCert { get; init; }
    public string? TlsCa { get; init; }
    /// <summary>Mutual TLS on the cluster port, or null (plain akka.tcp). The PFX password is used once, not kept.</summary>
    public ClusterTls? Tls { get; init; }

    public const string LogFormatText = "text";
    public const string LogFormatJson = "json";

    public TimeSpan TaskTtl => TimeSpan.FromSeconds(TaskTtlSeconds);
    public TimeSpan LeaseTimeout => TimeSpan.FromSeconds(LeaseTimeoutSeconds);
    public TimeSpan CloneTimeout => TimeSpan.FromSeconds(CloneTimeoutSeconds);
    public long MaxRepoBytes => MaxRepoMb * 1024L * 1024L;

    /// <summary>Records print every property; these hold secrets, so the printed form names none of them.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"MaxQueueSize = {MaxQueueSize}, TaskTtlSeconds = {TaskTtlSeconds}, HistorySize = {HistorySize}, ");
        builder.Append($"DataDir = {DataDir}, Redis = {(Redis is null ? "off" : "on")}, HttpUrls = {HttpUrls}, ");
        builder.Append($"Cluster = {ClusterHost}:{ClusterPort}, Seeds = [{string.Join(", ", Seeds)}], ");
        builder.Append($"AllowedHosts = [{string.Join(", ", AllowedHosts)}], AllowLocalRepos = {AllowLocalRepos}, ");
        builder.Append($"AuthFailuresPerMinute = {AuthFailuresPerMinute}, TrustedProxies = [{string.Join(", ", TrustedProxies)}], ");
        builder.Append($"Standalone = {Standalone}, Workers = {Workers}, LeaseTimeoutSeconds = {LeaseTimeoutSeconds}, ");
        builder.Append($"GitToken = {(GitToken is null ? "off" : "on")}, Tls = {(Tls is null ? "off" : $"{TlsCert} (CA {TlsCa})")}");
        return true;
    }
    public string DataDirFull => Path.GetFullPath(DataDir);

    /// <summary>(environment variable, appsettings key) of each setting, the single list the README documents.</summary>
    public static readonly IReadOnlyList<(string Env, string Key)> Names =
    [
        ("PHAROS_ADMIN_TOKEN", "AdminToken"), ("PHAROS_TOKENS_FILE", "TokensFile"),
        ("MAX_QUEUE_SIZE", "MaxQueueSize"), ("TASK_TTL_SECONDS", "TaskTtlSeconds"),
        ("PHAROS_HISTORY_SIZE", "HistorySize"), ("PHAROS_DATA_DIR", "DataDir"), ("PHAROS_REDIS", "Redis"), ("PHAROS_REDIS_KEY_PREFIX", "RedisKeyPrefix"),
        ("PHAROS_HTTP_URLS", "HttpUrls"), ("PHAROS_CLUSTER_HOST", "ClusterHost"), ("PHAROS_CLUSTER_PORT", "ClusterPort"),
        ("PHAROS_SEEDS", "Seeds"), ("PHAROS_ALLOWED_HOSTS", "AllowedHosts"), ("PHAROS_ALLOWED_SCHEMES", "AllowedSchemes"),
        ("PHAROS_ALLOW_LOCAL_REPOS", "AllowLocalRepos"), ("PHAROS_REQUIRE_READ_TOKEN", "RequireReadToken"),
        ("PHAROS_AUTH_FAILURES_PER_MINUTE", "AuthFailuresPerMinute"), ("PHAROS_TRUSTED_PROXIES", "TrustedProxies"),
        ("PHAROS_STANDALONE", "Standalone"), ("PHAROS_SWEEP_INTERVAL_SECONDS", "SweepIntervalSeconds"),
        ("PHAROS_SNAPSHOT_EVERY", "SnapshotEvery"), ("PHAROS_LEASE_TIMEOUT_SECONDS", "LeaseTimeoutSeconds"),
        ("PHAROS_MAX_ATTEMPTS", "MaxAttempts"), ("PHAROS_GIT_TOKEN", "GitToken"), ("PHAROS_MAX_REPO_MB", "MaxRepoMb"),
        ("PHAROS_CLONE_TIMEOUT_SECONDS", "CloneTimeoutSeconds"), ("PHAROS_WORKERS", "Workers"),
        ("PHAROS_TRAIN_EPOCHS", "TrainEpochs"), ("PHAROS_TRAIN_DIMENSIONS", "TrainDimensions"),
        ("PHAROS_TRAIN_THREADS", "TrainThreads"), ("PHAROS_DOWN_AFTER_SECONDS", "DownAfterSeconds"),
        ("PHAROS_LOG_FORMAT", "LogFormat"), ("PHAROS_TLS_CERT", "TlsCert"),
        ("PHAROS_TLS_CERT_PASSWORD", "TlsCertPassword"), ("PHAROS_TLS_CA", "TlsCa"),
    ];

    public static PharosSettings From(IConfiguration configuration)
    {
        string? Get(string env, string key)
        {
            var value = configuration[env];
            if (string.IsNullOrWhiteSpace(value)) value = configuration["Pharos:" + key];
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        int Int(string env, string key, int fallback, int min, int max)
        {
            var text = Get(env, key);
            if (text is null) return fallback;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                throw new SettingsException($"{env} must be a whole number from {min} to {max}; got '{text}'.");
            return value;
        }

        bool Bool(string env, string key)
        {
            var text = Get(env, key);
            return text?.ToLowerInvariant() switch
            {
                null or "false" or "0" or "no" => false,
                "true" or "1" or "yes" => true,
                _ => throw new SettingsException($"{env} must be true or false; got '{text}'."),
            };
        }

        IReadOnlyList<string>? List(string env, string key) =>
            Get(env, key)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.ToLowerInvariant()).ToArray();

        var defaults = new PharosSettings();
        var proxies = new List<System.Net.IPAddress>();
        foreach (var text in Get("PHAROS_TRUSTED_PROXIES", "TrustedProxies")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
            proxies.Add(System.Net.IPAddress.TryParse(text, out var address)
                ? address
                : throw new SettingsException($"PHAROS_TRUSTED_PROXIES must list IP addresses separated by commas; got '{text}'."));
        var logFormat = Get("PHAROS_LOG_FORMAT", "LogFormat")?.ToLowerInvariant() ?? defaults.LogFormat;
        if (logFormat is not (LogFormatText or LogFormatJson))
            throw new SettingsException($"PHAROS_LOG_FORMAT must be text or json; got '{logFormat}'.");
        var portText = Get("PHAROS_CLUSTER_PORT", "ClusterPort");
        var schemes = List("PHAROS_ALLOWED_SCHEMES", "AllowedSchemes") ?? defaults.AllowedSchemes;
        var unknownScheme = schemes.FirstOrDefault(s => s is not ("https" or "http" or "git" or "ssh"));
        if (unknownScheme is not null)
            throw new SettingsException($"PHAROS_ALLOWED_SCHEMES may name https, http, git and ssh; got '{unknownScheme}'.");

        var tlsCert = Get("PHAROS_TLS_CERT", "TlsCert");
        var tlsCa = Get("PHAROS_TLS_CA", "TlsCa");
        var tls = ClusterTls.Load(tlsCert, Get("PHAROS_TLS_CERT_PASSWORD", "TlsCertPassword"), tlsCa);
        var seeds = Get("PHAROS_SEEDS", "Seeds")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        // A full address with the other scheme would never connect: say so now rather than time out joining.
        var scheme = Hosting.PharosAkkaHosting.Protocol(tls is not null) + "://";
        var wrongScheme = seeds.FirstOrDefault(s => s.Contains("://", StringComparison.Ordinal) && !s.StartsWith(scheme, StringComparison.Ordinal));
        if (wrongScheme is not null)
            throw new SettingsException($"PHAROS_SEEDS: '{wrongScheme}' does not start with {scheme}" +
                                        (tls is null ? " (PHAROS_TLS_CERT is not set)." : " (mutual TLS is on)."));

        return new PharosSettings
        {
            AdminToken = Get("PHAROS_ADMIN_TOKEN", "AdminToken"),
            TokensFile = Get("PHAROS_TOKENS_FILE", "TokensFile"),
            MaxQueueSize = Int("MAX_QUEUE_SIZE", "MaxQueueSize", defaults.MaxQueueSize, 1, 1_000_000),
            TaskTtlSeconds = Int("TASK_TTL_SECONDS", "TaskTtlSeconds", defaults.TaskTtlSeconds, 1, 365 * 86_400),
            HistorySize = Int("PHAROS_HISTORY_SIZE", "HistorySize", defaults.HistorySize, 1, 100_000),
            DataDir = Get("PHAROS_DATA_DIR", "DataDir") ?? defaults.DataDir,
            Redis = Get("PHAROS_REDIS", "Redis"),
            RedisKeyPrefix = Get("PHAROS_REDIS_KEY_PREFIX", "RedisKeyPrefix") ?? defaults.RedisKeyPrefix,
            HttpUrls = Get("PHAROS_HTTP_URLS", "HttpUrls") ?? defaults.HttpUrls,
            ClusterHost = Get("PHAROS_CLUSTER_HOST", "ClusterHost") ?? defaults.ClusterHost,
            ClusterPort = portText is null ? null : Int("PHAROS_CLUSTER_PORT", "ClusterPort", 0, 0, 65_535),
            Seeds = seeds,
            AllowedHosts = List("PHAROS_ALLOWED_HOSTS", "AllowedHosts") ?? defaults.AllowedHosts,
            AllowedSchemes = schemes,
            AllowLocalRepos = Bool("PHAROS_ALLOW_LOCAL_REPOS", "AllowLocalRepos"),
            RequireReadToken = Bool("PHAROS_REQUIRE_READ_TOKEN", "RequireReadToken"),
            AuthFailuresPerMinute = Int("PHAROS_AUTH_FAILURES_PER_MINUTE", "AuthFailuresPerMinute", defaults.AuthFailuresPerMinute, 0, 1_000_000),
            TrustedProxies = proxies,
            Standalone = Bool("PHAROS_STANDALONE", "Standalone"),
            SweepIntervalSeconds = Int("PHAROS_SWEEP_INTERVAL_SECONDS", "SweepIntervalSeconds", defaults.SweepIntervalSeconds, 1, 86_400),
            SnapshotEvery = Int("PHAROS_SNAPSHOT_EVERY", "SnapshotEvery", defaults.SnapshotEvery, 1, 1_000_000),
            LeaseTimeoutSeconds = Int("PHAROS_LEASE_TIMEOUT_SECONDS", "LeaseTimeoutSeconds", defaults.LeaseTimeoutSeconds, 1, 86_400),
            MaxAttempts = Int("PHAROS_MAX_ATTEMPTS", "MaxAttempts", defaults.MaxAttempts, 1, 100),
            GitToken = Get("PHAROS_GIT_TOKEN", "GitToken"),
            MaxRepoMb = Int("PHAROS_MAX_REPO_MB", "MaxRepoMb", defaults.MaxRepoMb, 1, 1_048_576),
            CloneTimeoutSeconds = Int("PHAROS_CLONE_TIMEOUT_SECONDS", "CloneTimeoutSeconds", defaults.CloneTimeoutSeconds, 1, 86_400),
            Workers = Int("PHAROS_WORKERS", "Workers", defaults.Workers, 1, 64),
            TrainEpochs = Int("PHAROS_TRAIN_EPOCHS", "TrainEpochs", defaults.TrainEpochs, 1, 10_000),
            TrainDimensions = Int("PHAROS_TRAIN_DIMENSIONS", "TrainDimensions", defaults.TrainDimensions, 2, 4096),
            TrainThreads = Int("PHAROS_TRAIN_THREADS", "TrainThreads", defaults.TrainThreads, 0, 1024),
            DownAfterSeconds = Int("PHAROS_DOWN_AFTER_SECONDS", "DownAfterSeconds", defaults.DownAfterSeconds, 1, 3600),
            LogFormat = logFormat,
            TlsCert = tlsCert,
            TlsCa = tlsCa,
            Tls = tls,
        };
    }
}

/// <summary>A setting is missing or malformed; the message names the variable and is shown to the operator.</summary>
public sealed class SettingsException(string message) : Exception(message);
