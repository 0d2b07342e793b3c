using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pharos.Bench.Persistence;

/// <summary>
/// Redis commands a running cloud node sends, from <c>INFO commandstats</c> before and after each phase (redis-cli's
/// own INFO calls are left out): --tasks accepted POST /ingest one after another (commands per task); --lifecycle-tasks
/// tasks submitted and waited for until final (a standalone node's worker takes them: commands per task through its
/// whole life); --idle-seconds of nothing (commands per idle minute, with a MONITOR capture naming each command's
/// client and the time between them).
/// </summary>
public static class CommandsBench
{
    public static async Task<int> RunAsync(Options options)
    {
        var port = options.Required("redis-port");
        var label = options.Text("label", "cloud node");
        using var http = new HttpClient { BaseAddress = new Uri(options.Required("cloud-url").TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Required("token"));
        var runId = Guid.NewGuid().ToString("N")[..8];
        var sb = new StringBuilder();
        sb.AppendLine($"### Redis commands: {label}").AppendLine();

        var order = options.Text("order", "tasks,lifecycle,idle").Split(',');
        foreach (var phase in order)
        {
            switch (phase)
            {
                case "tasks" when options.Int("tasks", 0) > 0:
                    {
                        var tasks = options.Int("tasks", 0);
                        var before = await StatsAsync(port);
                        var clock = Stopwatch.StartNew();
                        for (var i = 0; i < tasks; i++) await SubmitAsync(http, $"https://localhost/x/{runId}-{i}");
                        var elapsed = clock.Elapsed;
                        await Task.Delay(500); // anything the node does right after the last answer
                        var after = await StatsAsync(port);
                        sb.AppendLine($"**{tasks} accepted POST /ingest**, one after another ({tasks / elapsed.TotalSeconds:F0}/s), " +
                                      "no worker taking them:").AppendLine();
                        Table(sb, before, after, tasks, "per task");
                        break;
                    }
                case "lifecycle" when options.Int("lifecycle-tasks", 0) > 0:
                    {
                        var tasks = options.Int("lifecycle-tasks", 0);
                        var before = await StatsAsync(port);
                        var ids = new List<string>();
                        for (var i = 0; i < tasks; i++) ids.Add(await SubmitAsync(http, $"https://localhost/x/{runId}-life-{i}"));
                        var statuses = await WaitFinalAsync(http, ids, TimeSpan.FromSeconds(options.Int("lifecycle-timeout", 180)));
                        await Task.Delay(1000);
                        var after = await StatsAsync(port);
                        var byStatus = string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}"));
                        sb.AppendLine($"**{tasks} tasks through their whole life** (submitted, leased by the in-process worker, " +
                                      $"clone of an unreachable https://localhost URL, final status: {byStatus}):").AppendLine();
                        Table(sb, before, after, tasks, "per task");
                        break;
                    }
                case "idle" when options.Int("idle-seconds", 0) > 0:
                    {
                        var seconds = options.Int("idle-seconds", 0);
                        var clients = await ClientNamesAsync(port);
                        var before = await StatsAsync(port);
                        var monitor = await MonitorAsync(port, TimeSpan.FromSeconds(seconds));
                        var after = await StatsAsync(port);
                        sb.AppendLine($"**Idle for {seconds} s** (per idle minute = calls × 60 / {seconds}):").AppendLine();
                        Table(sb, before, after, seconds / 60.0, "per idle minute");
                        sb.AppendLine("MONITOR during the idle period, by client (`CLIENT LIST` name and address) and command:").AppendLine();
                        sb.AppendLine("| client | command | count | mean interval s |");
                        sb.AppendLine("|---|---|---:|---:|");
                        var groups = monitor.GroupBy(m => (Client: clients.GetValueOrDefault(m.Address, $"{m.Address} (redis-cli / other)"), m.Command))
                            .Where(g => !g.Key.Client.EndsWith("(redis-cli / other)", StringComparison.Ordinal) || g.Key.Command != "INFO")
                            .OrderBy(g => g.Key.Client).ThenBy(g => g.Key.Command);
                        foreach (var g in groups)
                        {
                            var times = g.Select(m => m.Time).OrderBy(t => t).ToArray();
                            var interval = times.Length > 1 ? (times[^1] - times[0]) / (times.Length - 1) : double.NaN;
                            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                                $"| {g.Key.Client} | {g.Key.Command} | {g.Count()} | {(double.IsNaN(interval) ? "—" : interval.ToString("F1", CultureInfo.InvariantCulture))} |"));
                        }
                        if (!monitor.Any()) sb.AppendLine("| (none) | | 0 | |");
                        sb.AppendLine();
                        break;
                    }
            }
        }
        sb.AppendLine("Clients connected at the end (`CLIENT LIST`):").AppendLine();
        sb.AppendLine("```");
        sb.Append(await RedisCliAsync(port, "CLIENT", "LIST"));
        sb.AppendLine("```");
        Program.Report(options, sb.ToString());
        return 0;
    }

    private static async Task<string> SubmitAsync(HttpClient http, string repoUrl)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { repo_url = repoUrl }), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("ingest", content);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new BenchException($"POST /ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.Headers.Location?.ToString() ?? throw new BenchException("202 without a Location");
    }

    private static async Task<List<string>> WaitFinalAsync(HttpClient http, List<string> locations, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var statuses = new string[locations.Count];
        while (true)
        {
            for (var i = 0; i < locations.Count; i++)
            {
                if (statuses[i] is "completed" or "failed" or "skipped" or "cancelled") continue;
                using var doc = JsonDocument.Parse(await http.GetStringAsync(locations[i].TrimStart('/')));
                statuses[i] = doc.RootElement.GetProperty("status").GetString() ?? "?";
            }
            if (statuses.All(s => s is "completed" or "failed" or "skipped" or "cancelled")) return [.. statuses];
            if (deadline.Elapsed > timeout)
                throw new BenchException($"tasks not final after {timeout.TotalSeconds:F0} s: " +
                                         string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} {g.Key}")));
            await Task.Delay(250);
        }
    }

    private static void Table(StringBuilder sb, Dictionary<string, long> before, Dictionary<string, long> after, double divisor, string per)
    {
        sb.AppendLine($"| command | calls | {per} |");
        sb.AppendLine("|---|---:|---:|");
        long total = 0;
        foreach (var (command, calls) in after.OrderByDescending(kv => kv.Value - before.GetValueOrDefault(kv.Key)))
        {
            // The bench's own: redis-cli's CLIENT LIST and the MONITOR connection, and its INFO before the phase (Redis
            // counts a command once it has run, so the INFO after is not in its own figures). Other INFO calls are the node's.
            if (command.StartsWith("net_", StringComparison.Ordinal) || command is "monitor" or "client|list") continue;
            var delta = calls - before.GetValueOrDefault(command) - (command == "info" ? 1 : 0);
            if (delta == 0) continue;
            total += delta;
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {command.ToUpperInvariant()} | {delta} | {delta / divisor:F2} |"));
        }
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| **all** (the bench's own INFO, CLIENT LIST and MONITOR left out) | {total} | {total / divisor:F2} |"));
        var input = after["net_input_bytes"] - before["net_input_bytes"];
        var output = after["net_output_bytes"] - before["net_output_bytes"];
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| bytes in / out (server's view, INFO's own traffic included) | {input} / {output} | {input / divisor:F0} / {output / divisor:F0} |"));
        sb.AppendLine();
    }

    /// <summary>Calls per command (lower-case, subcommands as Redis names them, e.g. client|setinfo), and the byte counters.</summary>
    private static async Task<Dictionary<string, long>> StatsAsync(string port)
    {
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        var text = await RedisCliAsync(port, "INFO", "all");
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal))
            {
                var name = line["cmdstat_".Length..line.IndexOf(':')];
                var calls = line.Split(':', 2)[1].Split(',').First(f => f.StartsWith("calls=", StringComparison.Ordinal))["calls=".Length..];
                stats[name] = long.Parse(calls, CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("total_net_input_bytes:", StringComparison.Ordinal)) stats["net_input_bytes"] = long.Parse(line.Split(':')[1], CultureInfo.InvariantCulture);
            else if (line.StartsWith("total_net_output_bytes:", StringComparison.Ordinal)) stats["net_output_bytes"] = long.Parse(line.Split(':')[1], CultureInfo.InvariantCulture);
        }
        return stats;
    }

    private static async Task<Dictionary<string, string>> ClientNamesAsync(string port)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in (await RedisCliAsync(port, "CLIENT", "LIST")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ').Select(f => f.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            if (fields.TryGetValue("addr", out var addr))
                names[addr] = $"{(fields.GetValueOrDefault("name") is { Length: > 0 } n ? n : "(no name)")} {addr} lib={fields.GetValueOrDefault("lib-name")}";
        }
        return names;
    }

    private sealed record Monitored(double Time, string Address, string Command);

    /// <summary>Runs <c>redis-cli monitor</c> for the given time and parses its lines.</summary>
    private static async Task<List<Monitored>> MonitorAsync(string port, TimeSpan duration)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port, "monitor" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line) lock (lines) lines.Add(line);
        });
        await Task.Delay(duration);
        process.Kill();
        await process.WaitForExitAsync();
        await reader;
        var result = new List<Monitored>();
        foreach (var line in lines)
        {
            // 1732900000.123456 [0 127.0.0.1:54321] "PING"
            var open = line.IndexOf('['); var close = line.IndexOf(']');
            if (open < 0 || close < 0 || !double.TryParse(line[..open].Trim(), CultureInfo.InvariantCulture, out var time)) continue;
            var address = line[(open + 1)..close].Split(' ').Last();
            var command = line[(close + 1)..].Trim().Split(' ')[0].Trim('"').ToUpperInvariant();
            result.Add(new Monitored(time, address, command));
        }
        return result;
    }

    private static async Task<string> RedisCliAsync(string port, params string[] args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new BenchException($"redis-cli {string.Join(' ', args)} failed: {await process.StandardError.ReadToEndAsync()}");
        return output;
    }
}
