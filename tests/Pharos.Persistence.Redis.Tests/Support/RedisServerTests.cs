using System.Diagnostics;

namespace Pharos.Persistence.Redis.Tests.Support;

/// <summary>
/// The fixture itself: it starts, restarts from its AOF, flushes, leaves nothing behind, and never mistakes another
/// redis-server on its port for its own.
/// </summary>
public sealed class RedisServerTests
{
    [Fact]
    public async Task Starts_restarts_from_its_append_only_file_and_leaves_nothing_behind()
    {
        var server = await RedisServer.StartWithAofAsync();
        var pid = server.Pid!.Value;
        var dir = server.Directory;
        try
        {
            Assert.Equal("+OK", await server.CommandAsync("SET", "k", "v"));
            await server.KillAsync();
            Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
            await server.RestartAsync();
            Assert.Equal("$1", await server.CommandAsync("GET", "k")); // bulk string of length 1: "v" survived
            await server.FlushAsync();
            Assert.Equal("$-1", await server.CommandAsync("GET", "k"));
            pid = server.Pid!.Value;
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task A_restart_refuses_a_port_another_redis_server_took_meanwhile()
    {
        var server = await RedisServer.StartWithAofAsync();
        var dir = Directory.CreateTempSubdirectory("pharos-redis-intruder-").FullName;
        Process? intruder = null;
        try
        {
            await server.KillAsync();
            // Another test host's server binds the port while ours is down, as a free-port probe elsewhere allows.
            var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false };
            foreach (var a in new[] { "--port", server.Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", dir,
                         "--logfile", Path.Combine(dir, "redis.log") })
                psi.ArgumentList.Add(a);
            intruder = Process.Start(psi)!;
            await AnswersPingAsync(server); // the intruder's, on our port

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(server.RestartAsync);
            Assert.Contains($"port {server.Port} is served by another redis-server (pid {intruder.Id})", refused.Message);
            Assert.Null(server.Pid); // ours did not start
        }
        finally
        {
            if (intruder is { HasExited: false }) intruder.Kill();
            intruder?.Dispose();
            await server.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task AnswersPingAsync(RedisServer server)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await server.CommandAsync("PING") == "+PONG") return;
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
            }
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"nothing answers PING on port {server.Port}");
            await Task.Delay(25);
        }
    }
}
