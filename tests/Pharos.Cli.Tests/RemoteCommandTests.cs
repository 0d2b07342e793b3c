using Pharos.Actors.Ingest;
using Pharos.CloudNode.Auth;

namespace Pharos.Cli.Tests;

/// <summary>The remote commands against a real cloud node (no worker: tasks stay queued).</summary>
public sealed class RemoteCommandTests(QueueNode node) : IClassFixture<QueueNode>
{
    private static string TaskIdIn(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"Queued (\S+):").Groups[1].Value;

    [Fact]
    public async Task Submit_prints_the_task_id_and_position_and_jobs_job_and_cancel_follow_it()
    {
        var repo = QueueNode.NewRepoUrl();
        var (exit, output, error) = await node.Run("submit", repo, "--priority", "high");
        Assert.True(exit == 0, error);
        var id = TaskIdIn(output);
        Assert.NotEmpty(id);
        Assert.Matches(@"\(high\), position \d+ of \d+ \(max 1000\)\.", output);

        (exit, output, error) = await node.Run("jobs", "--limit", "100", "--status", "queued");
        Assert.True(exit == 0, error);
        Assert.Matches(@"ID\s+REPO\s+STATUS\s+STAGE/ATTEMPTS\s+SUBMITTED\s+DURATION", output);
        Assert.Matches($@"{id}\s+{repo}\s+queued\s+-/0\s+\d{{4}}-", output);

        (exit, output, error) = await node.Run("job", id);
        Assert.True(exit == 0, error);
        Assert.Matches($@"task\s+{id}", output);
        Assert.Matches(@"status\s+queued", output);
        Assert.Matches(@"timeline\n\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+queued", output.ReplaceLineEndings("\n"));

        (exit, output, _) = await node.Run("job", id, "--json");
        Assert.Equal(0, exit);
        Assert.Contains("+00:00\"", output); // the server's text, not re-escaped
        using (var job = JsonDocument.Parse(output))
            Assert.Equal(id, job.RootElement.GetProperty("task_id").GetString());

        (exit, output, error) = await node.Run("cancel", id);
        Assert.True(exit == 0, error);
        Assert.Contains($"Cancelled {id} ({repo}).", output);

        (exit, _, error) = await node.Run("cancel", id);
        Assert.Equal(1, exit);
        Assert.Equal($"pharos: conflict: Job {id} is already cancelled.", error.Trim());
    }

    [Fact]
    public async Task Cancel_of_another_tokens_task_says_the_token_may_cancel_only_its_own()
    {
        var (exit, output, error) = await node.Run("submit", QueueNode.NewRepoUrl());
        Assert.True(exit == 0, error);
        var id = TaskIdIn(output);

        (exit, _, error) = await CliRunner.RunAsync("cancel", id, "--url", node.Url, "--token", TokensFile.IngestToken);
        Assert.Equal(1, exit);
        Assert.Equal($"pharos: the token is not allowed to do this: Job {id} was submitted by another token; the token 'ci' may cancel " +
            "only the jobs it submitted (a token with the admin scope may cancel any).", error.Trim());

        (exit, output, error) = await CliRunner.RunAsync("submit", QueueNode.NewRepoUrl(), "--url", node.Url, "--token", TokensFile.IngestToken);
        Assert.True(exit == 0, error);
        var own = TaskIdIn(output);
        (exit, output, error) = await CliRunner.RunAsync("cancel", own, "--url", node.Url, "--token", TokensFile.IngestToken);
        Assert.True(exit == 0, error);
        Assert.Contains($"Cancelled {own}", output);
        Assert.Equal(0, (await node.Run("cancel", id)).Exit);
    }

    private async Task<(Task<int> Exit, StringWriter Output, StringWriter Error, string Id)> StartWaitingAsync(CancellationToken ct)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = PharosCommand.RunAsync(["submit", QueueNode.NewRepoUrl("wait"), "--wait", "--url", node.Url, "--token", CloudNodeHost.AdminToken],
            output, error, ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!output.ToString().Contains("waiting for a worker") && DateTime.UtcNow < deadline) await Task.Delay(50);
        return (exit, output, error, TaskIdIn(output.ToString()));
    }

    [Fact]
    public async Task Wait_on_a_queued_task_shows_it_waiting_and_exits_one_when_it_is_cancelled()
    {
        var (waiting, output, error, id) = await StartWaitingAsync(CancellationToken.None);
        Assert.Contains("queued    [..........]   0%  waiting for a worker", output.ToString());

        Assert.Equal(0, (await node.Run("cancel", id)).Exit);

        Assert.Equal(1, await waiting);
        Assert.Contains($"cancelled {id} in ", output.ToString());
        Assert.Contains($"pharos: job {id} cancelled", error.ToString());
    }

    [Fact]
    public async Task Ctrl_C_stops_the_waiting_not_the_job()
    {
        using var stop = new CancellationTokenSource();
        var (waiting, _, error, id) = await StartWaitingAsync(stop.Token);
        await stop.CancelAsync();

        Assert.Equal(130, await waiting);
        Assert.Contains($"pharos: stopped waiting; job {id} goes on", error.ToString());
        Assert.Contains(@"status        queued", (await node.Run("job", id)).Out);
    }

    [Fact]
    public async Task Submit_json_prints_the_servers_answer()
    {
        var (exit, output, error) = await node.Run("submit", QueueNode.NewRepoUrl(), "--json");
        Assert.True(exit == 0, error);
        using var answer = JsonDocument.Parse(output);
        Assert.Equal("queued", answer.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_duplicate_names_the_existing_task()
    {
        var repo = QueueNode.NewRepoUrl("dup");
        var (_, first, _) = await node.Run("submit", repo);
        var (exit, output, error) = await node.Run("submit", repo);
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith($"pharos: already queued as task {TaskIdIn(first)}: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_wrong_token_is_one_line_naming_the_refusal_and_where_the_token_came_from()
    {
        var (exit, output, error) = await CliRunner.RunAsync("submit", QueueNode.NewRepoUrl(), "--url", node.Url, "--token", "wrong-token-0123456789abcdef");
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal("pharos: the token was refused: A valid bearer token is required. (the token came from --token)", error.Trim());
    }

    [Fact]
    public async Task A_token_without_the_scope_is_refused_with_403()
    {
        var (exit, _, error) = await CliRunner.RunAsync("submit", QueueNode.NewRepoUrl(), "--url", node.Url, "--token", TokensFile.ReadOnlyToken);
        Assert.Equal(1, exit);
        Assert.StartsWith("pharos: the token is not allowed to do this: ", error);
    }

    [Fact]
    public async Task A_refused_url_gives_the_servers_reason()
    {
        var (exit, _, error) = await node.Run("submit", "https://example.invalid/owner/repo");
        Assert.Equal(1, exit);
        Assert.StartsWith("pharos: refused: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task An_unknown_job_is_not_found()
    {
        var (exit, _, error) = await node.Run("job", "no-such-task");
        Assert.Equal(1, exit);
        Assert.Equal("pharos: not found: No job no-such-task.", error.Trim());
    }

    [Fact]
    public async Task Status_shows_the_queue_and_workers_and_json_is_the_servers()
    {
        var (exit, output, error) = await node.Run("status");
        Assert.True(exit == 0, error);
        Assert.Contains("Status: ", output);
        Assert.Matches(@"Queue:\s+\d+ pending, \d+ in flight, max 1000", output);
        Assert.Contains("Workers: none connected", output);

        (exit, output, _) = await node.Run("status", "--json");
        Assert.Equal(0, exit);
        using var status = JsonDocument.Parse(output);
        Assert.Equal(1000, status.RootElement.GetProperty("queue").GetProperty("max").GetInt32());
    }

    [Fact]
    public async Task Status_watch_redraws_until_cancelled_and_exits_zero()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var exit = await PharosCommand.RunAsync(["status", "--watch", "--url", node.Url, "--token", CloudNodeHost.AdminToken], output, error, stop.Token);
        Assert.True(exit == 0, error.ToString());
        Assert.Contains("Status: ", output.ToString());
        Assert.DoesNotContain("polling", error.ToString()); // the node's status stream, not the fallback
    }

    [Fact]
    public async Task Status_watch_json_prints_one_document_a_line()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var exit = await PharosCommand.RunAsync(["status", "--watch", "--json", "--url", node.Url, "--token", CloudNodeHost.AdminToken], output, error, stop.Token);
        Assert.True(exit == 0, error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(1000, JsonDocument.Parse(line).RootElement.GetProperty("queue").GetProperty("max").GetInt32()));
    }

    [Fact]
    public async Task Read_commands_print_the_servers_json()
    {
        await node.Run("submit", QueueNode.NewRepoUrl());
        var (exit, output, _) = await node.Run("jobs", "--json", "--limit", "1");
        Assert.Equal(0, exit);
        using var page = JsonDocument.Parse(output);
        Assert.Equal(1, page.RootElement.GetProperty("jobs").GetArrayLength());
    }

    [Fact]
    public async Task An_unreachable_server_is_one_line()
    {
        var port = GitCli.FreeTcpPort();
        var (exit, output, error) = await CliRunner.RunAsync("jobs", "--url", $"http://127.0.0.1:{port}", "--token", "x");
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal($"pharos: cannot reach the Pharos cloud at http://127.0.0.1:{port}: connection refused (is the cloud node running? start it with ./run.sh)", error.Trim());
    }

    [Theory]
    [InlineData(null, false, null)]
    [InlineData(120, false, null)]
    [InlineData(null, true, null)]
    [InlineData(null, false, 3)]
    public async Task Token_new_prints_a_token_and_a_line_the_servers_reader_accepts(int? perMinute, bool privateRepos, int? maxQueued)
    {
        string[] limit = perMinute is null ? [] : ["--requests-per-minute", perMinute.Value.ToString()];
        string[] grant = privateRepos ? ["--private-repos"] : [];
        string[] share = maxQueued is null ? [] : ["--max-queued", maxQueued.Value.ToString()];
        var (exit, output, error) = await CliRunner.RunAsync(["token", "new", "--name", "ci-bot", "--scopes", "ingest,read", .. limit, .. grant, .. share]);
        Assert.True(exit == 0, error);
        var lines = output.Trim().Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Equal(2, lines.Length);
        var token = lines[0];
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);

        var file = Path.Combine(CloudNodeHost.NewDataDir(), "tokens.json");
        try
        {
            await File.WriteAllTextAsync(file, $"[{lines[1]}]");
            var entries = TokenFileLoader.Load(file);
            var entry = Assert.Single(entries);
            Assert.Equal("ci-bot", entry.Name);
            Assert.Equal(perMinute, entry.RequestsPerMinute);
            Assert.Equal(maxQueued, entry.MaxQueued);
            var result = new TokenAuthenticator(entries).Authenticate("Bearer " + token);
            Assert.True(result.Succeeded);
            Assert.Equal(privateRepos, result.PrivateRepos);
            Assert.Equal(ApiScope.Ingest | ApiScope.Read, result.Scopes);
            Assert.Equal(["ingest", "read"], Scopes.NamesOf(result.Scopes));
            Assert.Equal(TokenHash.Sha256Hex(token), JsonDocument.Parse(lines[1]).RootElement.GetProperty("sha256").GetString());
        }
        finally
        {
            CloudNodeHost.TryDelete(Path.GetDirectoryName(file)!);
        }
    }

    [Theory]
    [InlineData("token new --scopes write", "pharos: unknown scope 'write'; scopes are ingest, read, admin.")]
    [InlineData("token new --name admin", "pharos: the name 'admin' is reserved for PHAROS_ADMIN_TOKEN; choose another --name.")]
    public async Task Token_new_refuses_what_the_server_would_refuse(string command, string message)
    {
        var (exit, output, error) = await CliRunner.RunAsync(command.Split(' '));
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal(message, error.Trim());
    }

    [Theory]
    [InlineData("jobs --limit 0", "pharos: --limit must be from 1 to 100.")]
    [InlineData("submit REPO --priority urgent", "pharos: Argument 'urgent' not recognized.")]
    [InlineData("cluster leave", "pharos: Required argument missing for command: 'leave'.")]
    [InlineData("token new --requests-per-minute 0", "pharos: --requests-per-minute must be at least 1 (leave it out for no limit).")]
    [InlineData("token new --max-queued 0", "pharos: --max-queued must be at least 1 (leave it out for the default share).")]
    public async Task A_command_line_that_does_not_parse_exits_2_with_a_pointer_to_help(string command, string message)
    {
        var (exit, _, error) = await CliRunner.RunAsync(command.Split(' '));
        Assert.Equal(2, exit);
        Assert.StartsWith(message, error);
        Assert.Contains("--help' for usage.", error);
    }
}
