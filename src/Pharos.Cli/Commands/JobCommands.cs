using System.CommandLine;
using System.Text.Json;
using Pharos.Cli.Remote;

namespace Pharos.Cli.Commands;

/// <summary>`pharos jobs`, `pharos job ID`, `pharos cancel ID`.</summary>
internal static class JobCommands
{
    private static readonly string[] Statuses = [.. JobStatuses.States.Select(s => s.ToName())];

    public static Command Jobs(RemoteOptions remote)
    {
        var limit = new Option<int>("--limit") { Description = "How many jobs, 1 to 100.", DefaultValueFactory = _ => 10 };
        limit.Validators.Add(r => { if (r.GetValue(limit) is < 1 or > 100) r.AddError("--limit must be from 1 to 100."); });
        var status = new Option<string?>("--status") { Description = "Only jobs in this status: " + string.Join(", ", Statuses) + "." };
        status.AcceptOnlyFromAmong(Statuses);
        var json = RemoteOptions.Json();
        var command = new Command("jobs", "Recent jobs, newest first (GET /jobs).") { limit, status, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var query = $"jobs?limit={result.GetValue(limit)}" + (result.GetValue(status) is { } s ? $"&status={s}" : "");
            var page = await client.GetAsync(query, ct);
            if (result.GetValue(json))
            {
                Format.Json(context.Output, page.Text);
                return 0;
            }
            var rows = page.Json.Items("jobs").Select(job => (IReadOnlyList<string>)
            [
                job.Str("task_id") ?? "-",
                job.Str("repo_url") ?? "-",
                job.Str("status") ?? "-",
                StageOrAttempts(job),
                Format.Time(job.Time("submitted_at")),
                Duration(job),
            ]).ToList();
            if (rows.Count == 0)
            {
                context.Output.WriteLine("No jobs.");
                return 0;
            }
            Format.Table(context.Output, ["ID", "REPO", "STATUS", "STAGE/ATTEMPTS", "SUBMITTED", "DURATION"], rows);
            return 0;
        }));
        return command;
    }

    public static Command Job(RemoteOptions remote)
    {
        var id = new Argument<string>("ID") { Description = "The task id that submit printed." };
        var json = RemoteOptions.Json();
        var command = new Command("job", "One job with its timeline (GET /jobs/{id}).") { id, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var job = await client.GetAsync($"jobs/{Uri.EscapeDataString(result.GetValue(id)!)}", ct);
            if (result.GetValue(json))
            {
                Format.Json(context.Output, job.Text);
                return 0;
            }
            Record(context.Output, job.Json);
            return 0;
        }));
        return command;
    }

    public static Command Cancel(RemoteOptions remote)
    {
        var id = new Argument<string>("ID") { Description = "The task to cancel." };
        var command = new Command("cancel", "Cancel a queued or running task (DELETE /jobs/{id}); a running one stops within 2 s.") { id };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var job = await client.DeleteAsync($"jobs/{Uri.EscapeDataString(result.GetValue(id)!)}", ct);
            context.Output.WriteLine($"Cancelled {job.Json.Str("task_id")} ({job.Json.Str("repo_url")}).");
            return 0;
        }));
        return command;
    }

    internal static string StageOrAttempts(JsonElement job)
    {
        var stage = job.Str("status") == "running" ? job.Str("stage") ?? "-" : "-";
        var attempts = job.Num("attempts") ?? 0;
        return $"{stage}/{attempts:0}";
    }

    private static string Duration(JsonElement job)
    {
        if (job.Num("duration_seconds") is { } seconds) return Format.Seconds(seconds);
        if (job.Time("started_at") is { } started && job.Str("status") == "running")
            return Format.Seconds((DateTimeOffset.UtcNow - started).TotalSeconds) + " so far";
        return "-";
    }

    private static void Record(TextWriter output, JsonElement job)
    {
        void Field(string name, string? value)
        {
            if (value is not null) output.WriteLine($"{name,-14}{value}");
        }
        Field("task", job.Str("task_id"));
        Field("repo", job.Str("repo_url"));
        Field("status", job.Str("status") + (job.Str("stage") is { } stage && job.Str("status") == "running" ? $" ({stage})" : ""));
        Field("priority", job.Str("priority"));
        Field("submitted", Format.Time(job.Time("submitted_at")) + (job.Str("requested_by") is { } by ? $" by {by}" : ""));
        Field("expires", Format.Time(job.Time("expires_at")));
        if (job.Time("started_at") is { } started) Field("started", Format.Time(started));
        if (job.Time("finished_at") is { } finished) Field("finished", Format.Time(finished));
        if (job.Num("duration_seconds") is { } duration) Field("duration", Format.Seconds(duration));
        if (job.Get("stage_seconds") is { ValueKind: JsonValueKind.Object } stages)
            Field("stages", string.Join(", ", new[] { "clone", "parse", "train", "store" }
                .Where(s => stages.Num(s) is not null).Select(s => $"{s} {Format.Seconds(stages.Num(s))}")));
        Field("worker", job.Str("worker"));
        Field("attempts", job.Str("attempts"));
        Field("commit", job.Str("commit_sha"));
        if (job.Get("files_processed") is not null)
            Field("result", $"{job.Str("files_processed")} files, {job.Str("edges") ?? "0"} edges, {job.Str("embeddings_generated") ?? "0"} embeddings");
        if (job.Num("final_loss") is { } loss) Field("final loss", loss.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));
        Field("embeddings", job.Str("embeddings_path"));
        Field("reason", job.Str("reason"));
        Field("error", job.Str("error"));
        output.WriteLine("timeline");
        foreach (var entry in job.Items("timeline"))
            output.WriteLine($"  {Format.Time(entry.Time("at"))}  {entry.Str("status"),-10}{(entry.Str("detail") is { } d ? "  " + d : "")}".TrimEnd());
    }
}
