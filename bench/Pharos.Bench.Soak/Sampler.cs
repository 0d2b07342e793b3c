using System.Globalization;
using Microsoft.Data.Sqlite;
using StackExchange.Redis;

namespace Pharos.Bench.Soak;

/// <summary>
/// Reads one cloud node's figures from outside it: RSS from <c>/proc/&lt;pid&gt;/status</c>, the GC heap and queue
/// depth from its <c>GET /metrics</c> (<c>dotnet_total_memory_bytes</c>, <c>pharos_queue_pending</c>), and the
/// journal's rows and storage from its store: SQLite (<c>pharos.db</c> opened read-only: <c>COUNT(*)</c> of
/// <c>journal</c>; the sizes of <c>pharos.db</c>, <c>-wal</c> and <c>-shm</c>) or Redis (<c>ZCARD</c> of every
/// <c>{prefix}journal:persisted:{id}</c> listed in <c>{prefix}journal:persistenceIds</c>; <c>used_memory</c> of
/// <c>INFO memory</c>, the whole server's, which serves this node alone).
/// </summary>
public abstract class Sampler(string name, int pid, Uri url, string dataDir) : IDisposable
{
    private readonly HttpClient _metrics = new() { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };

    public string Name => name;
    public int Pid => pid;

    public static Sampler Create(string name, Options options, Uri url)
    {
        var pid = options.Int($"{name}-pid", 0);
        if (pid <= 0) throw new BenchException($"--{name}-pid is required");
        var dataDir = options.Required($"{name}-data-dir");
        if (options.Get($"{name}-sqlite") is { } db) return new SqliteSampler(name, pid, url, dataDir, db);
        if (options.Get($"{name}-redis") is { } redis)
            return new RedisSampler(name, pid, url, dataDir, redis, options.Get($"{name}-redis-prefix") ?? "");
        throw new BenchException($"--{name}-sqlite PATH or --{name}-redis HOST:PORT is required");
    }

    /// <summary>The node's figures now (NaN for what could not be read, with a line on stderr).</summary>
    public async Task<NodeFigures> SampleAsync()
    {
        var rss = Try("RSS", () => RssMb(pid));
        double gcHeap = double.NaN, pending = double.NaN;
        try
        {
            var text = await _metrics.GetStringAsync("/metrics");
            gcHeap = Metric(text, "dotnet_total_memory_bytes") / (1024.0 * 1024);
            pending = Metric(text, "pharos_queue_pending");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Program.Log($"{name}: GET /metrics failed: {e.Message}");
        }
        var rows = Try("journal rows", JournalRows);
        var storage = Try("storage", StorageMb);
        var dataDirMb = Try("data directory", () => DirectoryMb(dataDir));
        return new NodeFigures(rss, gcHeap, rows, storage, pending, dataDirMb);
    }

    protected abstract double JournalRows();
    protected abstract double StorageMb();

    private double Try(string what, Func<double> read)
    {
        try { return read(); }
        catch (Exception e)
        {
            Program.Log($"{name}: {what} not read: {e.GetType().Name}: {e.Message}");
            return double.NaN;
        }
    }

    public static double RssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        throw new BenchException($"no VmRSS in /proc/{pid}/status");
    }

    /// <summary>The value of a series without labels in Prometheus text; NaN when it is not there.</summary>
    public static double Metric(string text, string series)
    {
        foreach (var line in text.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..].Split(' ')[0], CultureInfo.InvariantCulture);
        return double.NaN;
    }

    protected static double FileMb(string path) => File.Exists(path) ? new FileInfo(path).Length / (1024.0 * 1024) : 0;

    private static double DirectoryMb(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => { try { return new FileInfo(f).Length; } catch (IOException) { return 0L; } })
              / (1024.0 * 1024)
            : double.NaN;

    public virtual void Dispose() => _metrics.Dispose();
}

public sealed record NodeFigures(double RssMb, double GcHeapMb, double JournalRows, double StorageMb, double Pending, double DataDirMb);

public sealed class SqliteSampler(string name, int pid, Uri url, string dataDir, string db) : Sampler(name, pid, url, dataDir)
{
    // Read-only, no pool: the bench takes no lock a reader would not take, and keeps no file open between samples.
    private readonly string _connection = new SqliteConnectionStringBuilder
    {
        DataSource = db,
        Mode = SqliteOpenMode.ReadOnly,
        Pooling = false,
        DefaultTimeout = 10,
    }.ToString();

    protected override double JournalRows()
    {
        using var connection = new SqliteConnection(_connection);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM journal";
        return Convert.ToDouble(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    protected override double StorageMb() => FileMb(db) + FileMb(db + "-wal") + FileMb(db + "-shm");
}

public sealed class RedisSampler : Sampler
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;

    public RedisSampler(string name, int pid, Uri url, string dataDir, string configuration, string prefix) : base(name, pid, url, dataDir)
    {
        // INFO is an admin command to StackExchange.Redis.
        _redis = ConnectionMultiplexer.Connect(configuration + ",allowAdmin=true");
        _prefix = prefix;
    }

    protected override double JournalRows()
    {
        var db = _redis.GetDatabase();
        return db.SetMembers(_prefix + "journal:persistenceIds")
            .Sum(id => (double)db.SortedSetLength($"{_prefix}journal:persisted:{id}"));
    }

    protected override double StorageMb()
    {
        var info = _redis.GetDatabase().Execute("INFO", "memory").ToString();
        foreach (var line in info.Split('\n'))
            if (line.StartsWith("used_memory:", StringComparison.Ordinal))
                return double.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture) / (1024.0 * 1024);
        throw new BenchException("no used_memory in INFO memory");
    }

    public override void Dispose()
    {
        _redis.Dispose();
        base.Dispose();
    }
}
