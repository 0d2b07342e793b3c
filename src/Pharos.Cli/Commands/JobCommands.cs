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
            var rows = page.Read<JobListDto>().Jobs.Select(job => (IReadOnlyList<string>)
            [
                job.TaskId,
                job.RepoUrl,
                job.Status.ToName(),
                StageOrAttempts(job),
                Format.Time(job.SubmittedAt),
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
            Record(context.Output, job.Read<JobDto>());
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
            var job = (await client.DeleteAsync($"jobs/{Uri.EscapeDataString(result.GetValue(id)!)}", ct)).Read<JobDto>();
            context.Output.WriteLine($"Cancelled {job.TaskId} ({job.RepoUrl}).");
            return 0;
        }));
        return command;
    }

    internal static string StageOrAttempts(JobDto job)
    {
        var stage = job.Status == JobStatus.Running ? job.Stage?.ToName() ?? "-" : "-";
        return $"{stage}/{job.Attempts}";
    }

    private static string Duration(JobDto job)
    {
        if (job.DurationSeconds is { } seconds) return Format.Seconds(seconds);
        if (job.StartedAt is { } started && job.Status == JobStatus.Running)
            return Format.Seconds((DateTimeOffset.UtcNow - started).TotalSeconds) + " so far";
        return "-";
    }

    private static void Record(TextWriter output, JobDto job)
    {
        void Field(string name, string? value)
        {
            if (value is not null) output.WriteLine($"{name,-14}{value}");
        }
        Field("task", job.TaskId + (job.JobId is { } number ? $" (job {number})" : ""));
        Field("repo", job.RepoUrl);
        Field("ref", job.Ref);
        Field("status", job.Status.ToName() + (job.Stage is { } stage && job.Status == JobStatus.Running ? $" ({stage.ToName()})" : ""));
        Field("priority", job.Priority.ToName());
        Field("submitted", Format.Time(job.SubmittedAt) + $" by {job.RequestedBy}");
        Field("expires", job.ExpiresAt is { } expires ? Format.Time(expires) : "never (imported without a submission time)");
        if (job.StartedAt is { } started) Field("started", Format.Time(started));
        if (job.FinishedAt is { } finished) Field("finished", Format.Time(finished));
        if (job.DurationSeconds is { } duration) Field("duration", Format.Seconds(duration));
        if (job.StageSeconds is { } stages)
            Field("stages", string.Join(", ", new (string Name, double? Seconds)[]
                    { ("clone", stages.Clone), ("parse", stages.Parse), ("train", stages.Train), ("store", stages.Store) }
                .Where(s => s.Seconds is not null).Select(s => $"{s.Name} {Format.Seconds(s.Seconds)}")));
        Field("worker", job.Worker);
        Field("attempts", job.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field("commit", job.CommitSha);
        if (job.FilesProcessed is { } files)
            Field("result", $"{files} files, {job.Edges ?? 0} edges, {job.EmbeddingsGenerated ?? 0} embeddings");
        if (job.FinalLoss is { } loss) Field("final loss", loss.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));
        if (job.Result is { } stored) Field("embeddings", $"{stored.Dims} dims, in the cloud: {stored.Embeddings}");
        Field("reason", job.Reason?.ToName());
        Field("error", job.Error);
        output.WriteLine("timeline");
        foreach (var entry in job.Timeline)
            output.WriteLine($"  {Format.Time(entry.At)}  {entry.Status.ToName(),-10}{(entry.Detail is { } d ? "  " + d : "")}".TrimEnd());
    }
}
