using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Pharos.CloudNode.Metrics;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Tests;

public sealed class MetricsTests
{
    private static async Task<string> ScrapeAsync(CloudNodeHost host)
    {
        var response = await host.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of one series (`name` or `name{label="value"}`), or null when it is not there.</summary>
    private static double? Value(string text, string series) =>
        text.Split('\n').Where(line => line.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(line => (double?)double.Parse(line[(series.Length + 1)..].Split(' ')[0], CultureInfo.InvariantCulture))
            .FirstOrDefault();

    [Fact]
    public async Task Metrics_count_accepted_and_refused_submissions_auth_failures_and_follow_the_queue()
    {
        await using var host = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["MAX_QUEUE_SIZE"] = "7" });
        var repo = $"https://github.com/pharos-tests/m{Guid.NewGuid():N}";

        Assert.Equal(HttpStatusCode.Accepted, (await host.IngestAsync(repo)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await host.IngestAsync(repo)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.IngestAsync(repo, token: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.IngestAsync(repo, token: "wrong-token-0123456789abcdef")).StatusCode);

        // The gauges follow the depth the queue publishes, which arrives a moment after the 202.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var text = await ScrapeAsync(host);
        while (Value(text, "pharos_queue_pending") != 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            text = await ScrapeAsync(host);
        }

        Assert.Equal(1, Value(text, "pharos_queue_pending"));
        Assert.Equal(0, Value(text, "pharos_queue_in_flight"));
        Assert.Equal(7, Value(text, "pharos_queue_max"));
        Assert.Equal(1, Value(text, "pharos_ingest_accepted_total"));
        Assert.Equal(1, Value(text, "pharos_ingest_refused_total{reason=\"duplicate\"}"));
        Assert.Equal(2, Value(text, "pharos_ingest_refused_total{reason=\"unauthenticated\"}"));
        Assert.Equal(1, Value(text, "pharos_auth_failures_total{reason=\"missing_header\"}"));
        Assert.Equal(1, Value(text, "pharos_auth_failures_total{reason=\"unknown_token\"}"));
        // Reasons not seen yet are there at 0, so that rates over them start from the beginning.
        Assert.Equal(0, Value(text, "pharos_ingest_refused_total{reason=\"queue_full\"}"));
        Assert.Equal(0, Value(text, "pharos_auth_failures_total{reason=\"malformed\"}"));
        Assert.Equal(0, Value(text, "pharos_workers{state=\"busy\"}"));
        Assert.Equal(0, Value(text, "pharos_workers{state=\"idle\"}"));
        // One group commit at least: the accepted task.
        Assert.True(Value(text, "pharos_journal_write_seconds_count") >= 1);
        Assert.True(Value(text, "pharos_journal_write_seconds_sum") > 0);
    }

    [Fact]
    public async Task Stage_durations_and_workers_by_state_are_exported()
    {
        await using var host = await CloudNodeHost.StartAsync();
        var metrics = host.Services.GetRequiredService<PharosMetrics>();
        metrics.TaskCompleted(new StageSeconds { Clone = 1.5, Parse = 0.2, Train = 12, Store = 0.1 });
        metrics.TaskCompleted(new StageSeconds { Clone = 0.5, Train = 3 });

        var text = await ScrapeAsync(host);
        Assert.Equal(2, Value(text, "pharos_stage_duration_seconds_count{stage=\"clone\"}"));
        Assert.Equal(2.0, Value(text, "pharos_stage_duration_seconds_sum{stage=\"clone\"}"));
        Assert.Equal(1, Value(text, "pharos_stage_duration_seconds_count{stage=\"parse\"}"));
        Assert.Equal(15.0, Value(text, "pharos_stage_duration_seconds_sum{stage=\"train\"}"));
        Assert.Contains("pharos_stage_duration_seconds_bucket{stage=\"train\",le=\"+Inf\"} 2", text);
        // The process's own figures beside them: the GC heap (bench/soak follows it) and the working set.
        Assert.True(Value(text, "dotnet_total_memory_bytes") > 0);
        Assert.True(Value(text, "process_working_set_bytes") > 0);
    }

    [Fact]
    public async Task PHAROS_LOG_FORMAT_json_switches_the_console_to_JSON_and_text_is_the_default()
    {
        await using (var json = await CloudNodeHost.StartAsync(new Dictionary<string, string?> { ["PHAROS_LOG_FORMAT"] = "json" }))
            Assert.Equal(ConsoleFormatterNames.Json, json.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        await using (var text = await CloudNodeHost.StartAsync())
            Assert.NotEqual(ConsoleFormatterNames.Json, text.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }
}
