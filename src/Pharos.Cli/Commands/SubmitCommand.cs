namespace Pharos.Cli.Commands;

/// <summary>`pharos submit REPO [--ref] [--priority] [--wait]`: POST /ingest, and with --wait follow the job to its end.</summary>
internal static class SubmitCommand
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static Command Build(RemoteOptions remote)
    {
        var repo = new Argument<string>("REPO") { Description = "Repository URL (https://github.com/owner/repo) or, when the cloud allows it, a local path." };
        var priority = new Option<string>("--priority")
        {
            Description = string.Join(", ", WireNames.Of<Priority>()) + ".",
            DefaultValueFactory = _ => Priority.Normal.ToName(),
        };
        priority.AcceptOnlyFromAmong([.. WireNames.Of<Priority>()]);
        var gitRef = new Option<string>("--ref")
        {
            Description = "The branch, tag or full commit SHA to embed (default: the repository's default branch).",
        };
        var wait = new Option<bool>("--wait") { Description = "Follow the job with a progress line per stage until it ends; exit 0 only when it completed." };
        var json = RemoteOptions.Json();
        json.Description = "Print the server's answer (and with --wait, the finished job) as JSON.";
        var command = new Command("submit", "Queue a repository for embedding (POST /ingest).") { repo, gitRef, priority, wait, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var body = new Dictionary<string, string>
            {
                ["repo_url"] = result.GetValue(repo)!,
                ["priority"] = result.GetValue(priority)!,
            };
            if (result.GetValue(gitRef) is { } asked) body["ref"] = asked;
            var response = await client.PostAsync("ingest", body, ct);
            var accepted = response.Read<IngestAcceptedDto>();
            var id = accepted.TaskId ?? throw new CliException("the Pharos cloud accepted the task but named no task_id.");
            var asJson = result.GetValue(json);
            if (asJson && !result.GetValue(wait))
            {
                Format.Json(context.Output, response.Text);
                return 0;
            }
            var at = accepted.Ref is { } named ? $" at {named}" : "";
            var queued = $"Queued {id}: {accepted.RepoUrl}{at} ({accepted.Priority.ToName()}), position " +
                         $"{accepted.Position} of {accepted.QueueSize} (max {accepted.MaxQueueSize}).";
            (asJson ? context.Error : context.Output).WriteLine(queued);
            if (!result.GetValue(wait)) return 0;
            try
            {
                return await WaitAsync(client, id, asJson, context, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Ctrl+C stops the waiting, not the job.
                if (context.Interactive) context.Output.WriteLine();
                context.Error.WriteLine($"pharos: stopped waiting; job {id} goes on (`pharos job {id}` to see it, `pharos cancel {id}` to stop it)");
                return 130;
            }
        }));
        return command;
    }

    /// <summary>Polls the job until it ends, drawing its stage; 0 only when it completed.</summary>
    internal static async Task<int> WaitAsync(PharosClient client, string id, bool asJson, ParseResultContext context, CancellationToken ct)
    {
        var progress = new ProgressLine(asJson ? context.Error : context.Output, context.Interactive && !asJson);
        while (true)
        {
            var response = await client.GetAsync($"jobs/{Uri.EscapeDataString(id)}", ct);
            var job = response.Read<JobDto>();
            if (job.Status.IsFinal())
            {
                progress.Finish();
                if (asJson) Format.Json(context.Output, response.Text);
                else Outcome(context.Output, job);
                if (job.Status != JobStatus.Completed && !asJson)
                    context.Error.WriteLine($"pharos: job {id} {job.Status.ToName()}{Why(job)}");
                return job.Status == JobStatus.Completed ? 0 : PharosCommand.ExitFailure;
            }

            if (job.Status == JobStatus.Running)
            {
                var worker = await WorkerOf(client, id, ct);
                var stage = (worker?.Stage ?? job.Stage)?.ToName() ?? JobStatus.Running.ToName();
                progress.Show(stage, worker?.Progress, worker?.Message);
            }
            else
            {
                var attempts = job.Attempts > 0 ? $" (attempt {job.Attempts + 1})" : "";
                progress.Show(job.Status.ToName(), null, $"waiting for a worker{attempts}");
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private static async Task<WorkerDto?> WorkerOf(PharosClient client, string id, CancellationToken ct)
    {
        var status = await client.TrySendAsync(HttpMethod.Get, "worker/status", null, ct);
        if (status.Status != HttpStatusCode.OK) return null;
        return status.Read<WorkerStatusDto>().Workers.FirstOrDefault(worker => worker.TaskId == id);
    }

    private static string Why(JobDto job)
    {
        var reason = job.Reason?.ToName();
        var error = job.Error;
        return (reason, error) switch
        {
            (null, null) => "",
            (_, null) => $": {reason}",
            (null, _) => $": {error}",
            _ => $": {reason}: {error}",
        };
    }

    private static void Outcome(TextWriter output, JobDto job)
    {
        output.WriteLine($"{job.Status.ToName()} {job.TaskId} in {Format.Seconds(job.DurationSeconds)}");
        if (job.Status != JobStatus.Completed) return;
        output.WriteLine($"  commit       {job.CommitSha ?? "-"}{(job.Ref is { } named ? $" ({named})" : "")}");
        output.WriteLine($"  files        {Or(job.FilesProcessed)}, edges {Or(job.Edges)}, embeddings {Or(job.EmbeddingsGenerated)}");
        if (job.FinalLoss is { } loss) output.WriteLine($"  final loss   {loss:0.0000}");
        if (job.Result is { } stored)
            output.WriteLine($"  result       in the cloud: {stored.Files} files x {stored.Dims} dims (pharos similar, pharos embeddings)");
    }

    private static string Or(int? count) => count?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}

/// <summary>
/// One line of progress: on a terminal redrawn in place on every change; redirected, one line per stage change so
/// that a log shows each stage once.
/// </summary>
internal sealed class ProgressLine(TextWriter output, bool interactive)
{
    private string? _stage;
    private string? _drawn;
    private int _width;

    public void Show(string stage, double? progress, string? message)
    {
        var line = $"{stage,-9} {Format.Bar(progress)}  {message}".TrimEnd();
        if (interactive)
        {
            if (line == _drawn) return;
            if (_stage is not null && stage != _stage)
            {
                output.WriteLine();
                _width = 0;
            }
            output.Write("\r" + line.PadRight(_width));
            output.Flush();
            _width = line.Length;
        }
        else if (stage != _stage)
        {
            output.WriteLine(line);
        }
        _stage = stage;
        _drawn = line;
    }

    public void Finish()
    {
        if (interactive && _drawn is not null) output.WriteLine();
        _drawn = null;
    }
}
