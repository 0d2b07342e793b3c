using System.CommandLine;
using System.Net;
using System.Text.Json;
using Pharos.Cli.Remote;

namespace Pharos.Cli.Commands;

/// <summary>`pharos submit REPO [--priority] [--wait]`: POST /ingest, and with --wait follow the job to its end.</summary>
internal static class SubmitCommand
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static Command Build(RemoteOptions remote)
    {
        var repo = new Argument<string>("REPO") { Description = "Repository URL (https://github.com/owner/repo) or, when the cloud allows it, a local path." };
        var priority = new Option<string>("--priority")
        {
            Description = string.Join(", ", WireNames.Of<Priority>()) + ".", DefaultValueFactory = _ => Priority.Normal.ToName(),
        };
        priority.AcceptOnlyFromAmong([.. WireNames.Of<Priority>()]);
        var wait = new Option<bool>("--wait") { Description = "Follow the job with a progress line per stage until it ends; exit 0 only when it completed." };
        var json = RemoteOptions.Json();
        json.Description = "Print the server's answer (and with --wait, the finished job) as JSON.";
        var command = new Command("submit", "Queue a repository for embedding (POST /ingest).") { repo, priority, wait, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var accepted = await client.PostAsync("ingest", new Dictionary<string, string>
            {
                ["repo_url"] = result.GetValue(repo)!,
                ["priority"] = result.GetValue(priority)!,
            }, ct);
            var id = accepted.Json.Str("task_id") ?? throw new CliException("the Pharos cloud accepted the task but named no task_id.");
            var asJson = result.GetValue(json);
            if (asJson && !result.GetValue(wait))
            {
                Format.Json(context.Output, accepted.Text);
                return 0;
            }
            var queued = $"Queued {id}: {accepted.Json.Str("repo_url")} ({accepted.Json.Str("priority")}), position " +
                         $"{accepted.Json.Str("position")} of {accepted.Json.Str("queue_size")} (max {accepted.Json.Str("max_queue_size")}).";
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
            var job = await client.GetAsync($"jobs/{Uri.EscapeDataString(id)}", ct);
            var status = job.Json.Str("status") ?? "unknown";
            if (status is "completed" or "failed" or "skipped" or "cancelled")
            {
                progress.Finish();
                if (asJson) Format.Json(context.Output, job.Text);
                else Outcome(context.Output, job.Json);
                if (status != "completed" && !asJson) context.Error.WriteLine($"pharos: job {id} {status}{Why(job.Json)}");
                return status == "completed" ? 0 : PharosCommand.ExitFailure;
            }

            if (status == "running")
            {
                var worker = await WorkerOf(client, id, ct);
                var stage = worker?.Str("stage") ?? job.Json.Str("stage") ?? "running";
                progress.Show(stage, worker?.Num("progress"), worker?.Str("message"));
            }
            else
            {
                var attempts = job.Json.Num("attempts") is double a && a > 0 ? $" (attempt {a + 1})" : "";
                progress.Show(status, null, $"waiting for a worker{attempts}");
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private static async Task<JsonElement?> WorkerOf(PharosClient client, string id, CancellationToken ct)
    {
        var status = await client.TrySendAsync(HttpMethod.Get, "worker/status", null, ct);
        if (status.Status != HttpStatusCode.OK) return null;
        foreach (var worker in status.Json.Items("workers"))
            if (worker.Str("task_id") == id) return worker;
        return null;
    }

    private static string Why(JsonElement job)
    {
        var reason = job.Str("reason");
        var error = job.Str("error");
        return (reason, error) switch
        {
            (null, null) => "",
            (_, null) => $": {reason}",
            (null, _) => $": {error}",
            _ => $": {reason}: {error}",
        };
    }

    private static void Outcome(TextWriter output, JsonElement job)
    {
        var status = job.Str("status");
        output.WriteLine($"{status} {job.Str("task_id")} in {Format.Seconds(job.Num("duration_seconds"))}");
        if (status != "completed") return;
        output.WriteLine($"  commit       {job.Str("commit_sha") ?? "-"}");
        output.WriteLine($"  files        {job.Str("files_processed") ?? "-"}, edges {job.Str("edges") ?? "-"}, embeddings {job.Str("embeddings_generated") ?? "-"}");
        if (job.Num("final_loss") is { } loss) output.WriteLine($"  final loss   {loss:0.0000}");
        if (job.Str("embeddings_path") is { } path) output.WriteLine($"  embeddings   {path} (on the edge {job.Str("worker") ?? ""})".TrimEnd());
    }
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
