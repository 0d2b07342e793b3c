using System.Diagnostics;

namespace Pharos.CloudNode.Tests;

/// <summary>The real cloud node binary, started the way an operator starts it.</summary>
public sealed class StartupTests
{
    private static async Task<(int ExitCode, string StdErr)> RunCloudNodeAsync(params (string Key, string Value)[] environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Pharos.CloudNode.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Directory.CreateTempSubdirectory("pharos-start-").FullName,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PHAROS_", StringComparison.Ordinal) || k is "MAX_QUEUE_SIZE" or "TASK_TTL_SECONDS").ToList())
            start.Environment.Remove(key);
        start.Environment["PHAROS_HTTP_URLS"] = "http://127.0.0.1:0";
        start.Environment["PHAROS_CLUSTER_PORT"] = "0";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        return (process.ExitCode, await stderr);
    }

    [Fact]
    public async Task Without_any_token_source_the_node_exits_non_zero_naming_PHAROS_ADMIN_TOKEN()
    {
        var (exitCode, stderr) = await RunCloudNodeAsync();
        Assert.Equal(CloudApp.ExitBadSettings, exitCode);
        Assert.Contains("PHAROS_ADMIN_TOKEN", stderr);
    }

    [Theory]
    [InlineData("MAX_QUEUE_SIZE", "ten", "MAX_QUEUE_SIZE")]
    [InlineData("PHAROS_ADMIN_TOKEN", "short", "PHAROS_ADMIN_TOKEN")]
    [InlineData("PHAROS_TOKENS_FILE", "/nonexistent/tokens.json", "PHAROS_TOKENS_FILE")]
    [InlineData("PHAROS_ALLOW_LOCAL_REPOS", "maybe", "PHAROS_ALLOW_LOCAL_REPOS")]
    [InlineData("PHAROS_TLS_CA", "/nonexistent/ca.crt", "PHAROS_TLS_CERT")]
    public async Task A_malformed_setting_stops_the_node_with_a_message_naming_it(string key, string value, string named)
    {
        var settings = key == "PHAROS_ADMIN_TOKEN"
            ? new[] { (key, value) }
            : [("PHAROS_ADMIN_TOKEN", "a-long-enough-admin-token-123"), (key, value)];
        var (exitCode, stderr) = await RunCloudNodeAsync(settings);
        Assert.Equal(CloudApp.ExitBadSettings, exitCode);
        Assert.Contains(named, stderr);
        Assert.DoesNotContain("a-long-enough-admin-token-123", stderr);
    }
}
