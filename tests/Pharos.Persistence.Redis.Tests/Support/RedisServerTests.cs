using System.Diagnostics;

namespace Pharos.Persistence.Redis.Tests.Support;

/// <summary>The fixture itself: it starts, restarts from its AOF, flushes, and leaves nothing behind.</summary>
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
}
