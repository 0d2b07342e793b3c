using Pharos.Actors.Status;
using Pharos.CloudNode.Api;
using Pharos.Messages.Status;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// The HTTP bodies are DTOs apart from the actors' state: these pin the documents they write for a known job and a
/// known status, field by field, as the API wrote them when the job record itself was the body.
/// </summary>
public sealed class ApiContractTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 8, 0, 0, 123, TimeSpan.Zero);

    private static readonly JobRecord Completed = new("0193f0a0c1d2e3f4a5b6c7d8e9f00121", "https://github.com/pharos/done",
        Priority.High, JobStatus.Completed, At, At.AddDays(1), 86_400, "ci-bot",
        [
            new TimelineEntry(JobStatus.Queued, At, "priority high"),
            new TimelineEntry(JobStatus.Requeued, At.AddSeconds(9), "worker_terminated"),
        ],
        StartedAt: At.AddSeconds(2), FinishedAt: At.AddSeconds(40), DurationSeconds: 38.5,
        StageSeconds: new StageSeconds { Clone = 3.5, Train = 31.75 }, CommitSha: "0a1b2c", FilesProcessed: 412, Edges: 1_093,
        EmbeddingsGenerated: 412, FinalLoss: 0.8123, Worker: "laptop-1", Attempts: 2, Reason: JobReason.CloneFailed,
        Stage: JobStage.Storing, EmbeddingsPath: "/var/lib/pharos/e", Ref: "release/2.1", JobNumber: 4_127);

    [Fact]
    public void A_job_is_written_as_the_documented_document()
    {
        Assert.Equal("""
            {"task_id":"0193f0a0c1d2e3f4a5b6c7d8e9f00121","repo_url":"https://github.com/pharos/done","priority":"high","status":"completed",
            "submitted_at":"2026-11-29T08:00:00.123+00:00","expires_at":"2026-11-30T08:00:00.123+00:00","ttl":86400,"requested_by":"ci-bot",
            "timeline":[{"status":"queued","at":"2026-11-29T08:00:00.123+00:00","detail":"priority high"},
            {"status":"requeued","at":"2026-11-29T08:00:09.123+00:00","detail":"worker_terminated"}],
            "started_at":"2026-11-29T08:00:02.123+00:00","finished_at":"2026-11-29T08:00:40.123+00:00","duration_seconds":38.5,
            "stage_seconds":{"clone":3.5,"parse":null,"train":31.75,"store":null},"commit_sha":"0a1b2c","files_processed":412,"edges":1093,
            "embeddings_generated":412,"final_loss":0.8123,"worker":"laptop-1","attempts":2,"error":null,"reason":"clone_failed",
            "age_seconds":null,"stage":"storing","result":null,"job_id":4127,"ref":"release/2.1"}
            """.ReplaceLineEndings(""), Api(Completed.ToDto()));
        // A job completed with its result in the cloud points at it; an edge's path (jobs completed before) is not shown.
        var stored = Completed with { Status = JobStatus.Completed, Dims = 64 };
        Assert.Equal("""
            "result":{"commit_sha":"0a1b2c","files":412,"dims":64,
            "embeddings":"/repos/embeddings?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026ref=release%2F2.1",
            "graph":"/repos/graph?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026ref=release%2F2.1",
            "similar":"/repos/similar?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026ref=release%2F2.1",
            "ref":"release/2.1"},"job_id":4127,"ref":"release/2.1"}
            """.ReplaceLineEndings(""), Api(stored.ToDto())[Api(stored.ToDto()).IndexOf("\"result\"", StringComparison.Ordinal)..]);
        // A job of the default branch links to the default branch's result at its commit (a tag may hold the same commit).
        var onDefault = stored with { Ref = null };
        Assert.Equal("""
            "result":{"commit_sha":"0a1b2c","files":412,"dims":64,
            "embeddings":"/repos/embeddings?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026default_branch=true",
            "graph":"/repos/graph?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026default_branch=true",
            "similar":"/repos/similar?repo_url=https%3A%2F%2Fgithub.com%2Fpharos%2Fdone\u0026commit=0a1b2c\u0026default_branch=true",
            "ref":null},"job_id":4127,"ref":null}
            """.ReplaceLineEndings(""), Api(onDefault.ToDto())[Api(onDefault.ToDto()).IndexOf("\"result\"", StringComparison.Ordinal)..]);
    }

    /// <summary>A task imported without a submission time shows no expiry and a TTL of 0, whatever its record holds.</summary>
    [Fact]
    public void A_never_stale_job_is_written_without_an_expiry()
    {
        var legacy = new JobRecord("0193f0a0c1d2e3f4a5b6c7d8e9f00122", "https://github.com/pharos/legacy", Priority.Normal,
            JobStatus.Queued, At, At.AddDays(1), 86_400, "admin", [new TimelineEntry(JobStatus.Queued, At, "priority normal, never stale")],
            NeverStale: true);
        Assert.Contains("""
            "submitted_at":"2026-11-29T08:00:00.123+00:00","expires_at":null,"ttl":0,"requested_by":"admin",
            """.ReplaceLineEndings(""), Api(legacy.ToDto()));
        Assert.DoesNotContain("never_stale", Api(legacy.ToDto()));
    }

    [Fact]
    public void A_worker_status_is_written_as_the_documented_document()
    {
        var worker = new WorkerStatusChanged("laptop-1", "akka.tcp://pharos@10.0.0.7:40123", WorkerState.Busy, "t1",
            "https://github.com/pharos/done", JobStage.Training, 0.4, "Training... 40%", At, At.AddSeconds(5));
        var view = new WorkerStatusView("Training Graph on https://github.com/pharos/done", [worker], new QueueStatus(2, 1, 10));
        Assert.Equal("""
            {"status":"Training Graph on https://github.com/pharos/done","workers":[{"id":"laptop-1","address":"akka.tcp://pharos@10.0.0.7:40123",
            "state":"busy","task_id":"t1","repo_url":"https://github.com/pharos/done","stage":"training","progress":0.4,
            "message":"Training... 40%","since":"2026-11-29T08:00:00.123+00:00","last_seen":"2026-11-29T08:00:05.123+00:00"}],
            "queue":{"pending":2,"in_flight":1,"max":10}}
            """.ReplaceLineEndings(""), Api(view.ToDto()));
    }

    private static string Api(object body) => JsonSerializer.Serialize(body, body.GetType(), HttpOptions);

    // As the API writes: ASP.NET Core's web defaults with Pharos's conventions (CloudApp configures the same).
    private static readonly JsonSerializerOptions HttpOptions = Http();

    private static JsonSerializerOptions Http()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        PharosJson.Configure(options);
        return options;
    }
}
