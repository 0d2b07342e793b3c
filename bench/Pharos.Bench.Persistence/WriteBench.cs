using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Pharos.Bench.Persistence;

/// <summary>
/// Events per second through a real persistent actor on each journal, mode by mode, the journals alternating
/// (Redis then SQLite for each mode, so drifting load falls on both), each mode for --seconds after a warm-up.
/// The redis-benchmark rates measured by run.sh on the same server come in as --baseline "label=rate" options.
/// </summary>
public static class WriteBench
{
    private static readonly (string Label, WriteRun Run)[] Modes =
    [
        ("Persist, one at a time", new WriteRun("persist", 1, TimeSpan.Zero)),
        ("PersistAll, batches of 1", new WriteRun("persistall", 1, TimeSpan.Zero)),
        ("PersistAll, batches of 10", new WriteRun("persistall", 10, TimeSpan.Zero)),
        ("PersistAll, batches of 100", new WriteRun("persistall", 100, TimeSpan.Zero)),
        ("Persist ×100 in one command", new WriteRun("inflight", 100, TimeSpan.Zero)),
    ];

    public static async Task<int> RunAsync(Options options)
    {
        var seconds = options.Double("seconds", 5);
        var warmup = options.Double("warmup-seconds", 1);
        var journals = options.Text("journals", "redis,sqlite").Split(',', StringSplitOptions.RemoveEmptyEntries);
        // "SET -c50=45000.1;ZADD -c50=44000;SET -c1=9000" : the ratio columns, in this order.
        var baselines = options.Text("baselines", "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(b => b.Split('=', 2)).Select(p => (Label: p[0], Rate: double.Parse(p[1], CultureInfo.InvariantCulture)))
            .Where(b => b.Rate > 0).ToArray();

        var hosts = new List<(string Name, IHost Host, ActorSystem System)>();
        try
        {
            foreach (var name in journals)
            {
                var host = await JournalTarget.From(options, name).StartAsync();
                hosts.Add((name, host, host.Services.GetRequiredService<ActorSystem>()));
            }
            var eventSize = Events.SerializedSize(hosts[0].System);
            var results = new Dictionary<(string Journal, string Mode), WriteResult>();
            var runId = Guid.NewGuid().ToString("N")[..8];
            for (var m = 0; m < Modes.Length; m++)
            {
                foreach (var (name, _, system) in hosts)
                {
                    var (label, run) = Modes[m];
                    var writer = system.ActorOf(Props.Create(() => new WriterActor($"write-{runId}-{name}-{m}")));
                    await writer.Ask<WriteResult>(run with { Duration = TimeSpan.FromSeconds(warmup) }, TimeSpan.FromMinutes(5));
                    var result = await writer.Ask<WriteResult>(run with { Duration = TimeSpan.FromSeconds(seconds) }, TimeSpan.FromMinutes(5));
                    results[(name, label)] = result;
                    await writer.GracefulStop(TimeSpan.FromSeconds(10));
                    Console.Error.WriteLine($"[write] {name,-6} {label,-30} {result.Events / result.Elapsed.TotalSeconds,10:F0} events/s");
                }
            }

            // What the Redis journal really stored per event: Akka's persistent envelope around the payload.
            var stored = "";
            if (options.Get("redis") is { } redisConfig && journals.Contains("redis"))
            {
                await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redisConfig);
                var key = $"{options.Text("key-prefix", "bench:")}journal:persisted:write-{runId}-redis-0";
                var members = await connection.GetDatabase().SortedSetRangeByRankAsync(key, 0, 99);
                var memory = await connection.GetDatabase().ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
                var count = await connection.GetDatabase().SortedSetLengthAsync(key);
                stored = $", {members.Average(m => m.Length()):F0} bytes as the Redis journal stores it in Akka's persistent envelope, " +
                         $"{(long)memory / (double)count:F0} bytes of Redis memory per event (`MEMORY USAGE` of a {count}-event sorted set)";
            }

            var sb = new StringBuilder();
            sb.AppendLine("### Write throughput").AppendLine();
            sb.AppendLine($"One persistent actor, `TaskEnqueued` events as the queue persists them ({eventSize} bytes through " +
                          $"Pharos's JSON serializer{stored}), " +
                          $"each mode for {seconds:0.#} s after a {warmup:0.#} s warm-up; events/s = events confirmed to the actor / time.");
            sb.AppendLine();
            sb.Append("| mode | ");
            sb.AppendJoin(" | ", hosts.Select(h => $"{h.Name} events/s"));
            foreach (var b in baselines) sb.Append($" | redis ÷ {b.Label}");
            if (hosts.Count > 1) sb.Append($" | {hosts[0].Name} ÷ {hosts[1].Name}");
            sb.AppendLine(" |");
            sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", hosts.Count + baselines.Length + (hosts.Count > 1 ? 1 : 0)))).AppendLine();
            foreach (var (label, _) in Modes)
            {
                sb.Append($"| {label} | ");
                var rates = hosts.Select(h => results[(h.Name, label)]).Select(r => r.Events / r.Elapsed.TotalSeconds).ToArray();
                sb.AppendJoin(" | ", rates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)));
                var redis = hosts.FindIndex(h => h.Name == "redis");
                foreach (var b in baselines)
                    sb.Append(" | ").Append(redis >= 0 ? (rates[redis] / b.Rate).ToString("F3", CultureInfo.InvariantCulture) : "—");
                if (hosts.Count > 1) sb.Append(" | ").Append((rates[0] / rates[1]).ToString("F2", CultureInfo.InvariantCulture));
                sb.AppendLine(" |");
            }
            Program.Report(options, sb.ToString());
            return 0;
        }
        finally
        {
            foreach (var (_, host, _) in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }
}
