using Pharos.Testing.Redis;


namespace Pharos.Cli.Tests;

/// <summary>`submit --wait` against a standalone node (cloud and worker in one process) serving real git repositories.</summary>
public sealed class SubmitWaitTests : IAsyncLifetime
{
    private readonly GitRepositoryFixture _git = new();
    private CloudNodeHost _node = null!;

    public async Task InitializeAsync() => _node = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
    {
        ["PHAROS_STANDALONE"] = "true",
        ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        ["PHAROS_TRAIN_EPOCHS"] = "40",
        ["PHAROS_TRAIN_DIMENSIONS"] = "16",
        ["PHAROS_TRAIN_THREADS"] = "1",
    });

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _git.Dispose();
    }

    private Task<(int Exit, string Out, string Err)> Run(params string[] args) =>
        CliRunner.RunAsync([.. args, "--url", _node.Client.BaseAddress!.ToString(), "--token", CloudNodeHost.AdminToken]);

    [Fact]
    public async Task Wait_shows_each_stage_once_when_redirected_and_exits_zero_when_the_job_completed()
    {
        var files = Enumerable.Range(0, 60).Select(i => ($"pkg/m{i}.py", $"import pkg.m{(i + 1) % 60}\nfrom pkg import m{(i * 7 + 3) % 60}\n")).ToList();
        files.Add(("pkg/__init__.py", ""));
        var repo = _git.CreateSource("wait-complete", [.. files]);

        var (exit, output, error) = await Run("submit", repo, "--wait");

        Assert.True(exit == 0, output + error);
        var lines = output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Queued ", lines[0]);
        // Redirected output: one line per stage seen, never the same stage twice, no carriage returns.
        var stages = lines.Skip(1).TakeWhile(l => !l.StartsWith("completed", StringComparison.Ordinal)).Select(l => l.Split(' ')[0]).ToList();
        Assert.NotEmpty(stages);
        Assert.Equal(stages.Distinct().Count(), stages.Count);
        Assert.All(stages, s => Assert.Contains(s, new[] { "queued", "running", "cloning", "parsing", "training", "storing", "uploading" }));
        Assert.DoesNotContain('\r', output);
        Assert.Contains(lines, l => l.StartsWith("completed ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("files        61, edges", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("result       in the cloud: 61 files x ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wait_exits_one_with_the_reason_when_the_job_failed()
    {
        var notARepository = Path.Combine(_git.Root, "not-a-repository");
        Directory.CreateDirectory(notARepository);

        var (exit, output, error) = await Run("submit", notARepository, "--wait");

        Assert.Equal(1, exit);
        Assert.Contains("failed ", output);
        Assert.Matches(@"pharos: job \S+ failed: clone_failed: ", error);
    }
}

public sealed class ProgressLineTests
{
    [Fact]
    public void On_a_terminal_the_line_is_redrawn_in_place_and_a_new_stage_starts_a_new_line()
    {
        using var output = new StringWriter();
        var line = new Commands.ProgressLine(output, interactive: true);
        line.Show("training", 0.1, "Training... 10%");
        line.Show("training", 0.4, "Training... 40%");
        line.Show("training", 0.4, "Training... 40%");
        line.Show("storing", null, "Storing...");
        line.Finish();
        Assert.Equal(
            "\rtraining  [#.........]  10%  Training... 10%" +
            "\rtraining  [####......]  40%  Training... 40%" +
            "\n\rstoring   [..........]   0%  Storing...\n",
            output.ToString().Replace("\r\n", "\n"));
    }

    [Fact]
    public void Redirected_it_writes_one_line_per_stage()
    {
        using var output = new StringWriter();
        var line = new Commands.ProgressLine(output, interactive: false);
        line.Show("cloning", 0.5, "Cloning... 50%");
        line.Show("cloning", 0.9, "Cloning... 90%");
        line.Show("training", 0.4, "Training... 40%");
        line.Finish();
        Assert.Equal("cloning   [#####.....]  50%  Cloning... 50%\ntraining  [####......]  40%  Training... 40%\n",
            output.ToString().ReplaceLineEndings("\n"));
    }
}

/// <summary>429 with the hint of Retry-After, on a node whose queue holds one task.</summary>
public sealed class QueueFullTests
{
    [Fact]
    public async Task A_full_queue_is_one_line_with_the_retry_hint()
    {
        await using var node = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["MAX_QUEUE_SIZE"] = "1",
            ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        });
        string[] Args(string repo) => ["submit", repo, "--url", node.Client.BaseAddress!.ToString(), "--token", CloudNodeHost.AdminToken];

        Assert.Equal(0, (await CliRunner.RunAsync(Args(Support.QueueNode.NewRepoUrl()))).Exit);
        var (exit, output, error) = await CliRunner.RunAsync(Args(Support.QueueNode.NewRepoUrl()));

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Matches(@"^pharos: refused for now: .+ Retry after \d+ s\.$", error.Trim());
    }
}

/// <summary>503 with the hint of Retry-After, from a node whose Redis journal is down.</summary>
public sealed class StoreDownTests
{
    [Fact]
    public async Task A_store_that_is_down_is_one_line_with_the_retry_hint()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var node = await CloudNodeHost.StartAsync(new Dictionary<string, string?>
        {
            ["PHAROS_REDIS"] = redis.ConnectionString,
            ["PHAROS_ALLOW_LOCAL_REPOS"] = "true",
        });
        await redis.KillAsync();

        var (exit, output, error) = await CliRunner.RunAsync("submit", Support.QueueNode.NewRepoUrl(),
            "--url", node.Client.BaseAddress!.ToString(), "--token", CloudNodeHost.AdminToken);

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Matches(@"^pharos: the Pharos cloud is unavailable: .+ Retry after \d+ s\.$", error.Trim());
    }
}
