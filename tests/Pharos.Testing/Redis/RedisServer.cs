using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Pharos.Testing.Redis;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, in a temporary directory of its own, started by the tests and
/// stopped by its PID. Nothing it starts outlives the test process: <see cref="DisposeAsync"/> kills it, a process-exit
/// hook kills whatever is left, and a small watchdog shell started beside each server kills it (by PID) within a
/// second of the test host disappearing (a crash, a blame-hang kill, a Ctrl-C).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<RedisServer, byte> Live = new();

    static RedisServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Live.Keys) server.KillNow();
        };
    }

    private readonly bool _appendOnly;
    private Process? _process;
    private Process? _watchdog;
    private bool _disposed;

    private RedisServer(int port, string directory, bool appendOnly)
    {
        Port = port;
        Directory = directory;
        _appendOnly = appendOnly;
    }

    public int Port { get; }

    /// <summary>The server's working directory (its AOF files live here); deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>The PID of the redis-server process now running, or null.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString =>
        $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000,asyncTimeout=5000,connectRetry=3";

    public string LogFile => Path.Combine(Directory, "redis.log");

    /// <summary>Starts a server that keeps nothing on disk (<c>--save '' --appendonly no</c>).</summary>
    public static Task<RedisServer> StartAsync() => StartAsync(appendOnly: false);

    /// <summary>Starts a server with an append-only file fsynced on every write (<c>--appendfsync always</c>).</summary>
    public static Task<RedisServer> StartWithAofAsync() => StartAsync(appendOnly: true);

    private static async Task<RedisServer> StartAsync(bool appendOnly)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var dir = Path.Combine(Path.GetTempPath(), "pharos-redis-" + Guid.NewGuid().ToString("N")[..12]);
            System.IO.Directory.CreateDirectory(dir);
            var server = new RedisServer(FreeTcpPort(), dir, appendOnly);
            try
            {
                await server.LaunchAsync();
                return server;
            }
            catch (Exception e)
            {
                // Most likely another process took the port between probing and binding: try another one.
                last = e;
                await server.DisposeAsync();
            }
        }
        throw new InvalidOperationException("redis-server did not start", last);
    }

    private async Task LaunchAsync()
    {
        var psi = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        foreach (var a in new[]
                 {
                     "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
                     "--dir", Directory, "--logfile", LogFile, "--protected-mode", "no",
                 })
            psi.ArgumentList.Add(a);
        if (_appendOnly)
            foreach (var a in new[] { "--appendonly", "yes", "--appendfsync", "always" })
                psi.ArgumentList.Add(a);
        else
            foreach (var a in new[] { "--appendonly", "no" })
                psi.ArgumentList.Add(a);

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                "redis-server is not installed (test.sh installs it: apt-get install redis-server)", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Live[this] = 0;
        _watchdog = StartWatchdog(process.Id, Directory);

        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException(
                    $"redis-server exited with {process.ExitCode} on port {Port}: {ReadLogTail()}");
            int? answering = null;
            try
            {
                if (await CommandAsync("PING") == "+PONG") answering = await ServerProcessIdAsync();
            }
            catch (Exception) when (sw.Elapsed < TimeSpan.FromSeconds(20))
            {
            }
            if (answering == process.Id) return;
            // Another test host's redis-server took the port first (between our probe and our bind, or while this one
            // was down for a restart): ours fails to bind and exits, and the other one answers PING. Sharing it would
            // let that host's kill or FLUSHALL hit these tests, so this is a failed start, not a started server.
            if (answering is not null)
                throw new InvalidOperationException(
                    $"port {Port} is served by another redis-server (pid {answering}), not by ours (pid {process.Id})");
            if (sw.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"redis-server on port {Port} did not answer PING: {ReadLogTail()}");
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// A shell that kills the server (by its PID) and deletes its directory when the test host is gone, and exits by
    /// itself when the server is.
    /// </summary>
    private static Process? StartWatchdog(int redisPid, string directory)
    {
        var testPid = Environment.ProcessId;
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(
            $"while kill -0 {testPid} 2>/dev/null && kill -0 {redisPid} 2>/dev/null; do sleep 0.5; done; " +
            $"if ! kill -0 {testPid} 2>/dev/null; then kill -9 {redisPid} 2>/dev/null; sleep 0.2; rm -rf '{directory}'; fi; exit 0");
        try { return Process.Start(psi); }
        catch (Exception) { return null; }
    }

    /// <summary>kill -9 by PID; waits until the process is gone. Clients see the connection drop.</summary>
    public async Task KillAsync()
    {
        var p = _process;
        if (p is null) return;
        try
        {
            if (!p.HasExited) p.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        p.Dispose();
        _process = null;
        StopWatchdog();
    }

    /// <summary>
    /// Starts the server again on the same port and directory (so an AOF server reloads its data), killing the running
    /// one first if there is one. Returns once it answers PING (after loading the AOF).
    /// </summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await LaunchAsync();
                return;
            }
            catch (InvalidOperationException)
            {
                if (_process is { } p)
                {
                    try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
                    p.Dispose();
                    _process = null;
                }
                StopWatchdog();
                // The port may still be in TIME_WAIT/held for a moment after the kill: try again.
                if (sw.Elapsed > TimeSpan.FromSeconds(10)) throw;
                await Task.Delay(100);
            }
        }
    }

    /// <summary>FLUSHALL: empties every database.</summary>
    public async Task FlushAsync()
    {
        var reply = await CommandAsync("FLUSHALL");
        if (reply != "+OK") throw new InvalidOperationException("FLUSHALL answered " + reply);
    }

    /// <summary>
    /// Sends one command over a fresh connection and returns the first line of the reply (e.g. "+PONG", ":3").
    /// Enough for administration; the tests use StackExchange.Redis for data.
    /// </summary>
    public Task<string> CommandAsync(params string[] args) =>
        ExchangeAsync(args, reply => reply.IndexOf("\r\n", StringComparison.Ordinal) is var end and >= 0 ? reply[..end] : null);

    /// <summary>The PID the server on <see cref="Port"/> reports (INFO server), or -1 if it does not say.</summary>
    private async Task<int> ServerProcessIdAsync()
    {
        var info = await ExchangeAsync(["INFO", "server"], BulkString);
        var match = System.Text.RegularExpressions.Regex.Match(info, @"process_id:(\d+)");
        return match.Success ? int.Parse(match.Groups[1].Value) : -1;
    }

    /// <summary>A whole bulk string reply ("$length", CRLF, the text), or the first line of any other reply.</summary>
    private static string? BulkString(string reply)
    {
        var end = reply.IndexOf("\r\n", StringComparison.Ordinal);
        if (end < 0) return null;
        if (reply[0] != '$') return reply[..end];
        var length = int.Parse(reply[1..end]);
        return reply.Length >= end + 2 + length ? reply.Substring(end + 2, length) : null;
    }

    /// <summary>Sends one command over a fresh connection and reads until <paramref name="complete"/> has a reply.</summary>
    private async Task<string> ExchangeAsync(string[] args, Func<string, string?> complete)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(IPAddress.Loopback, Port, cts.Token);
        var stream = client.GetStream();
        var sb = new StringBuilder();
        sb.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
            sb.Append('$').Append(Encoding.UTF8.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), cts.Token);
        var buffer = new byte[4096];
        var line = new StringBuilder();
        while (true)
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            if (n == 0) throw new IOException("connection closed by redis-server");
            line.Append(Encoding.UTF8.GetString(buffer, 0, n));
            if (complete(line.ToString()) is { } reply) return reply;
        }
    }

    public string ReadLogTail(int lines = 20)
    {
        try
        {
            if (!File.Exists(LogFile)) return "(no log)";
            using var fs = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(fs);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return "(log unreadable: " + e.Message + ")";
        }
    }

    private void StopWatchdog()
    {
        var w = _watchdog;
        _watchdog = null;
        if (w is null) return;
        try { if (!w.HasExited) w.Kill(); } catch (InvalidOperationException) { }
        w.Dispose();
    }

    private void KillNow()
    {
        try { if (_process is { HasExited: false } p) p.Kill(); } catch (Exception) { }
        try { if (_watchdog is { HasExited: false } w) w.Kill(); } catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await KillAsync();
        }
        finally
        {
            StopWatchdog();
            Live.TryRemove(this, out _);
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static int FreeTcpPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }
}

/// <summary>One throw-away redis-server (no persistence) per test class.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>One redis-server with <c>appendonly yes, appendfsync always</c> per test class.</summary>
public sealed class AofRedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartWithAofAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
