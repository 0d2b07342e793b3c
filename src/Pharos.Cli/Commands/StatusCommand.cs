namespace Pharos.Cli.Commands;

/// <summary>`pharos status [--watch]`: the workers and the queue; with --watch, live from the status stream.</summary>
internal static class StatusCommand
{
    public static readonly TimeSpan FallbackPollInterval = TimeSpan.FromSeconds(2);

    public static Command Build(RemoteOptions remote)
    {
        var watch = new Option<bool>("--watch") { Description = "Redraw on every change (GET /worker/status/stream; polls every 2 s when the node has no stream) until Ctrl+C." };
        var json = RemoteOptions.Json();
        var command = new Command("status", "Workers and the queue (GET /worker/status).") { watch, json };
        command.SetAction(remote.Action(async (client, context, result, ct) =>
        {
            var asJson = result.GetValue(json);
            if (!result.GetValue(watch))
            {
                var status = await client.GetAsync("worker/status", ct);
                Show(context, status.Text, asJson, redraw: false, watching: false);
                return 0;
            }
            try
            {
                return await WatchAsync(client, context, asJson, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 0; // Ctrl+C ends a watch: that is its normal end.
            }
        }));
        return command;
    }

    private static async Task<int> WatchAsync(PharosClient client, ParseResultContext context, bool asJson, CancellationToken ct)
    {
        var redraw = context.Interactive && !asJson;
        var stream = await client.OpenEventStreamAsync("worker/status/stream", ct);
        if (stream is not null)
        {
            await foreach (var e in stream)
            {
                if (e.Event != "status") continue;
                Show(context, e.Data, asJson, redraw, watching: true);
            }
            throw new CliException($"the Pharos cloud at {client.Settings.BaseUrl} closed the status stream.");
        }

        context.Error.WriteLine($"pharos: this node has no status stream; polling every {FallbackPollInterval.TotalSeconds:0} s");
        string? last = null;
        while (true)
        {
            var status = await client.GetAsync("worker/status", ct);
            if (status.Text != last) Show(context, status.Text, asJson, redraw, watching: true);
            last = status.Text;
            await Task.Delay(FallbackPollInterval, ct);
        }
    }

    private static void Show(ParseResultContext context, string text, bool asJson, bool redraw, bool watching)
    {
        var output = context.Output;
        if (asJson && !watching)
        {
            Format.Json(output, text);
            return;
        }
        if (asJson)
        {
            // One compact document a line when watching, so that each event can be read by a pipe as it comes.
            output.WriteLine(text.ReplaceLineEndings(""));
            output.Flush();
            return;
        }
        var status = PharosClient.Read<WorkerStatusDto>(text);
        if (redraw) output.Write("\x1b[H\x1b[2J");
        output.WriteLine($"Status: {status.Status}");
        var q = status.Queue;
        output.WriteLine($"Queue:  {q.Pending} pending, {q.InFlight} in flight, max {q.Max}");
        var workers = status.Workers;
        if (workers.Count == 0)
        {
            output.WriteLine("Workers: none connected");
        }
        else
        {
            output.WriteLine($"Workers ({workers.Count}):");
            foreach (var worker in workers)
            {
                var line = $"  {worker.Id,-24} {worker.State.ToName(),-8}";
                if (worker.TaskId is { } task)
                    line += $" {worker.Stage?.ToName() ?? "-",-9} {Format.Bar(worker.Progress)}  {worker.Message}"
                        + $"  ({task} {worker.RepoUrl})";
                else if (worker.State == WorkerState.Error && worker.Message is { } message)
                    line += $" {message}";
                output.WriteLine(line.TrimEnd());
            }
        }
        if (watching && !redraw) output.WriteLine();
        output.Flush();
    }
}
