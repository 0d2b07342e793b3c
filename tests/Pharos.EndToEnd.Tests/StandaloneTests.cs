namespace Pharos.EndToEnd.Tests;

public sealed class StandaloneTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    [Fact]
    public async Task Standalone_without_a_token_creates_one_privately_and_completes_a_job_on_its_own()
    {
        var repo = Sources.CreateRealRepository("nx-standalone");
        var cloud = await Bed.StartCloudAsync(Scenarios.QuickTraining, ["--standalone"], adminToken: false);

        var tokenFile = Path.Combine(cloud.DataDir, "admin-token");
        Assert.True(File.Exists(tokenFile), $"{tokenFile} was not created");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.True(token.Length >= 16, "the token is too short to be a secret");
        var log = cloud.Node.Log.LinesSince();
        Assert.Contains(log, l => l.Contains(tokenFile, StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains(token, StringComparison.Ordinal));

        // Without the token nothing is accepted; with it, the node runs the job with its own worker.
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await cloud.IngestAsync(Sources.Daemon!.UrlFor("nx-standalone"))).StatusCode);
        cloud.UseToken(token);
        await cloud.WaitForWorkerStatusAsync(s => s.Str("status") == "Idle", "Idle (its own worker)", diagnostics: () => Bed.Diagnostics());
        var id = await cloud.SubmitAsync(Sources.Daemon.UrlFor("nx-standalone"));
        var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics());
        Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
        Assert.Equal(GitSources.Head(repo), job.Str("commit_sha"));
        await Scenarios.AssertResultHomeAsync(cloud, job);
        await Scenarios.WaitUntilAsync(() => EdgeProcess.DirectoryIsEmpty(cloud.WorkDir), $"{cloud.WorkDir} to be empty", Bed,
            TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(cloud.Node.Log.LinesSince(), l => l.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_plain_cloud_node_refuses_to_start_without_a_token_source()
    {
        var cloud = await Bed.StartCloudAsync(adminToken: false, waitReady: false);
        await cloud.Node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, cloud.Node.ExitCode);
        Assert.Contains(cloud.Node.Log.LinesSince(), l => l.Contains("PHAROS_ADMIN_TOKEN", StringComparison.Ordinal));
    }
}
