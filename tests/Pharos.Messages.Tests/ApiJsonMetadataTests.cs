using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Pharos.Api.Contracts.Http;

namespace Pharos.Messages.Tests;

/// <summary>
/// The HTTP API's bodies are written from compile-time metadata (first in <see cref="PharosJson"/>'s resolver chain):
/// that must change nothing a client reads. Each body is compared with what reflection alone writes for it.
/// </summary>
public sealed class ApiJsonMetadataTests
{
    /// <summary>PharosJson's options without the compile-time metadata: reflection, as before it.</summary>
    private static readonly JsonSerializerOptions ByReflection = WithoutCompiledMetadata();

    [Fact]
    public void The_api_bodies_come_from_the_compile_time_metadata_and_the_rest_by_reflection()
    {
        Assert.IsAssignableFrom<System.Text.Json.Serialization.JsonSerializerContext>(
            PharosJson.Options.GetTypeInfo(typeof(WorkerStatusDto)).OriginatingResolver);
        Assert.IsNotAssignableFrom<System.Text.Json.Serialization.JsonSerializerContext>(
            PharosJson.Options.GetTypeInfo(typeof(Events.TaskEnqueued)).OriginatingResolver);
    }

    [Property]
    public bool A_worker_status_is_written_as_reflection_writes_it(NonNull<string> status, NonNull<string> id,
        WorkerState state, JobStage? stage, NormalFloat progress, string? message, DateTimeOffset since, NonNegativeInt pending)
    {
        var dto = new WorkerStatusDto(status.Get,
            [new WorkerDto(id.Get, "akka.tcp://pharos@127.0.0.1:4053", state, "t1", "https://github.com/o/r", stage, progress.Get, message, since, since)],
            new QueueCountsDto(pending.Get, 1, 10));
        return WrittenAlike(dto);
    }

    [Property]
    public bool A_job_list_is_written_as_reflection_writes_it(NonNull<string> id, Priority priority, JobStatus status,
        DateTimeOffset at, PositiveInt ttl, JobReason? reason, JobStage? stage, NormalFloat seconds, string? error)
    {
        var job = new JobDto(id.Get, "https://github.com/o/r", priority, status, at, at.AddDays(1), ttl.Get, "ci",
            [new TimelineEntryDto(JobStatus.Queued, at), new TimelineEntryDto(status, at, error)],
            StartedAt: at, DurationSeconds: seconds.Get, StageSeconds: new StageSecondsDto { Clone = seconds.Get },
            Error: error, Reason: reason, Stage: stage, Attempts: 1);
        return WrittenAlike(new JobListDto([job, job with { TaskId = "other", Timeline = [] }]));
    }

    [Property]
    public bool An_import_answer_is_written_as_reflection_writes_it(NonNull<string> id, JobStatus status, DateTimeOffset at,
        NonNegativeInt ttl, bool neverStale, NormalFloat age, NonNegativeInt position)
    {
        var job = new JobDto(id.Get, "https://github.com/o/r", Priority.Normal, status, at, neverStale ? null : at.AddSeconds(ttl.Get),
            neverStale ? 0 : ttl.Get, "admin", [new TimelineEntryDto(JobStatus.Queued, at, "priority normal")],
            FinishedAt: at, Reason: JobReason.TtlExpired, AgeSeconds: Math.Abs(age.Get));
        return WrittenAlike(new ImportedJobDto(job, position.Get, position.Get + 1, 10));
    }

    [Property]
    public bool The_original_pharos_history_is_written_as_reflection_writes_it(NonNull<string> url, JobStatus status,
        NormalFloat seconds, int? files, DateTimeOffset at, string? error, JobReason? reason)
    {
        var record = new LegacyJobRecordDto(url.Get, status, seconds.Get, files, files, LegacyJobRecordDto.IsoTimestamp(at), error, reason,
            Math.Abs(seconds.Get), "t1");
        return WrittenAlike(new LegacyJobHistoryDto([record, record with { TaskId = "t2", DurationSeconds = null }]));
    }

    private static bool WrittenAlike<T>(T body) =>
        JsonSerializer.Serialize(body, PharosJson.Options) == JsonSerializer.Serialize(body, ByReflection);

    private static JsonSerializerOptions WithoutCompiledMetadata()
    {
        var options = new JsonSerializerOptions(PharosJson.Options);
        options.TypeInfoResolverChain.RemoveAt(0);
        Assert.Single(options.TypeInfoResolverChain);
        options.MakeReadOnly();
        return options;
    }
}
