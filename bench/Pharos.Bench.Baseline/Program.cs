using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Microsoft.Data.Sqlite;

// The bench baseline: what the cloud node's two hot paths would cost with nothing but ASP.NET Core in front.
//   POST /refuse  -> 401 + WWW-Authenticate + problem+json, like the node's answer to a bad token.
//   POST /insert  -> parse {"repo_url": ...}, one row in SQLite (WAL, synchronous=FULL), one transaction, 202.
// Logging as in the `dotnet new web` template (appsettings.json): Information, Microsoft.AspNetCore at Warning.
// Usage: Pharos.Bench.Baseline --urls http://127.0.0.1:<port> [--data-dir <dir>] [--akka]
// --akka: the floor under the cloud node's start and memory: the same server plus what Pharos is built on and cannot
// do without, an Akka.NET cluster of one (remoting on loopback, self-join, a cluster singleton) started with
// Akka.Hosting; /ready answers 200 once the node is Up. Nothing of Pharos runs in it.

// Content root beside the binary: appsettings.json (and its log levels) apply from whatever directory it is started in.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddProblemDetails();

var dataDir = builder.Configuration["data-dir"] ?? Path.Combine(Path.GetTempPath(), $"pharos-baseline-{Environment.ProcessId}");
Directory.CreateDirectory(dataDir);
var store = new InsertStore(Path.Combine(dataDir, "baseline.db"));

var withAkka = args.Contains("--akka", StringComparer.Ordinal);
if (withAkka)
{
    builder.Services.AddAkka("pharos-baseline", akka => akka
        .WithRemoting(new RemoteOptions { HostName = "127.0.0.1", Port = 0 })
        .WithClustering(new ClusterOptions { Roles = ["cloud"] })
        .WithSingleton<Singleton>("queue", Props.Create(() => new Singleton()), new ClusterSingletonOptions { Role = "cloud" })
        .AddStartup((system, _) => Cluster.Get(system).Join(Cluster.Get(system).SelfAddress)));
}

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(store.Dispose);

app.MapGet("/ready", (IServiceProvider services) =>
    !withAkka || Cluster.Get(services.GetRequiredService<ActorSystem>()).SelfMember.Status == MemberStatus.Up
        ? Results.Ok(new { status = "ready" })
        : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));

app.MapPost("/refuse", (HttpContext context) =>
{
    context.Response.Headers.WWWAuthenticate = "Bearer realm=\"pharos\"";
    return Results.Problem("A valid bearer token is required.", statusCode: StatusCodes.Status401Unauthorized,
        title: "Unauthorized");
});

app.MapPost("/insert", async (HttpContext context) =>
{
    string? repoUrl;
    try
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        repoUrl = document.RootElement.ValueKind == JsonValueKind.Object
                  && document.RootElement.TryGetProperty("repo_url", out var url)
                  && url.ValueKind == JsonValueKind.String
            ? url.GetString()
            : null;
    }
    catch (JsonException)
    {
        repoUrl = null;
    }
    if (string.IsNullOrEmpty(repoUrl))
        return Results.Problem("repo_url is required.", statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    var id = Guid.NewGuid().ToString("N");
    var submittedAt = DateTimeOffset.UtcNow;
    await store.InsertAsync(id, repoUrl, submittedAt, context.RequestAborted);
    context.Response.Headers.Location = $"/jobs/{id}";
    return Results.Json(new Accepted(id, "queued", repoUrl, submittedAt), statusCode: StatusCodes.Status202Accepted);
});

app.Run();

/// <summary>The --akka mode's cluster singleton: an actor that does nothing, as the queue's place holder.</summary>
internal sealed class Singleton : ReceiveActor;

internal sealed record Accepted(string task_id, string status, string repo_url, DateTimeOffset submitted_at);

/// <summary>One connection, one writer at a time (SQLite takes one), one transaction per insert.</summary>
internal sealed class InsertStore : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public InsertStore(string path)
    {
        _connection = new SqliteConnection($"Data Source={path};Pooling=False");
        _connection.Open();
        using var command = _connection.CreateCommand();
        // synchronous stays at its default, FULL: the commit is on disk before the 202, as in the cloud node.
        command.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS tasks (
                id TEXT PRIMARY KEY,
                repo_url TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at INTEGER NOT NULL);
            """;
        command.ExecuteNonQuery();
    }

    public async Task InsertAsync(string id, string repoUrl, DateTimeOffset submittedAt, CancellationToken cancellation)
    {
        // About 200 bytes of JSON, like a serialized TaskEnqueued event.
        var payload = JsonSerializer.Serialize(new
        {
            task_id = id,
            repo_url = repoUrl,
            priority = "normal",
            submitted_at = submittedAt,
            expires_at = submittedAt.AddDays(1),
            attempt = 0,
        });
        await _writer.WaitAsync(cancellation);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO tasks (id, repo_url, payload, created_at) VALUES ($id, $url, $payload, $at)";
            command.Parameters.AddWithValue("$id", id);
            command.Parameters.AddWithValue("$url", repoUrl);
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$at", submittedAt.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
            transaction.Commit();
        }
        finally
        {
            _writer.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _writer.Dispose();
    }
}
