namespace Pharos.Cli.Tests.Support;

/// <summary>A cloud node without a worker: submitted tasks stay queued, so jobs, duplicates and cancel can be seen.</summary>
public sealed class QueueNode : IAsyncLifetime
{
    public CloudNodeHost Host { get; private set; } = null!;

    public string Url => Host.Client.BaseAddress!.ToString().TrimEnd('/');

    public async Task InitializeAsync() => Host = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
    {
        ["MAX_QUEUE_SIZE"] = "1000",
        ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        ["PHAROS_TOKENS_FILE"] = TokensFile.Write(),
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>A URL the node accepts without DNS (loopback is allowed with PHAROS_ALLOW_LOCAL_REPOS).</summary>
    public static string NewRepoUrl(string name = "repo") => $"https://localhost/tests/{name}-{Guid.NewGuid():N}";

    /// <summary>The CLI against this node with the admin token.</summary>
    public Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        CliRunner.RunAsync([.. args, "--url", Url, "--token", CloudNodeHost.AdminToken]);
}
