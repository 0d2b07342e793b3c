using System.Buffers.Binary;
using System.Text.Json;
using Pharos.Messages.Serialization;

namespace Pharos.Messages.Commands;

// Delivery of a finished task's result from the edge to the cloud, over the cluster connection (so mutual TLS covers
// it), in chunks acknowledged one by one so that no message comes near Akka's frame size and the sender never runs
// ahead of what the cloud has written:
//   edge uploader → cloud intake: OfferResult, then ResultChunk from the offset the intake names
//   cloud intake → edge uploader: ResultChunkAccepted (the next offset it wants), then ResultDelivered or ResultRefused
// An offer of a result the intake already holds part of resumes where the part ends, so a delivery cut by a lost
// connection or an edge restart sends only what is missing.
//   cloud intake → queue: MayDeliver (on an offer), RecordResult (once the result is stored)
//   queue → cloud intake: DeliveryVerdict
// The queue completes the task when the intake records its stored result: a job is completed only once the cloud
// holds its result, whoever delivers it (the worker that ran it, or the same edge from its outbox after a restart).

/// <summary>Edge → cloud: a result of <paramref name="Bytes"/> bytes whose SHA-256 is <paramref name="Sha256"/> (hex) is ready.</summary>
[Manifest("offer-result.v1")]
public sealed record OfferResult(string TaskId, string LeaseId, long Bytes, string Sha256) : IPharosMessage;

/// <summary>
/// Edge → cloud: <paramref name="Data"/> at <paramref name="Offset"/> of the offered result. At most
/// <see cref="MaxBytes"/> bytes, written in a binary form of its own (<see cref="ResultChunkCodec"/>), not JSON.
/// </summary>
[Manifest("result-chunk.v1")]
public sealed record ResultChunk(string TaskId, string LeaseId, long Offset, byte[] Data) : IPharosMessage
{
    /// <summary>Well under Akka.Remote's default frame size (128 KiB).</summary>
    public const int MaxBytes = 64 * 1024;
}

/// <summary>Cloud → edge: send from <paramref name="NextOffset"/> on (equal to the offer's size: all is there, being stored).</summary>
[Manifest("result-chunk-accepted.v1")]
public sealed record ResultChunkAccepted(string TaskId, string LeaseId, long NextOffset) : IPharosMessage;

/// <summary>Cloud → edge: the result is stored durably; the edge may forget it.</summary>
[Manifest("result-delivered.v1")]
public sealed record ResultDelivered(string TaskId, string LeaseId, string CommitSha) : IPharosMessage;

/// <summary>Cloud → edge: the result is not taken, for the <paramref name="Refusal"/> given (all but one are for good: the edge drops it).</summary>
[Manifest("result-refused.v1")]
public sealed record ResultRefused(string TaskId, string LeaseId, ResultRefusal Refusal, string Detail) : IPharosMessage;

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<ResultRefusal>))]
public enum ResultRefusal
{
    /// <summary>Not now (no offer open, bytes that do not match the hash): offer it again.</summary>
    TryAgain,
    /// <summary>Larger than PHAROS_MAX_RESULT_MB: the job fails with <see cref="JobReason.ResultTooLarge"/>.</summary>
    TooLarge,
    /// <summary>Not a readable result: the job fails with <see cref="JobReason.TrainingFailed"/>.</summary>
    Invalid,
    /// <summary>The lease it was computed under was lost and the task went on without it: dropped, the job is not this edge's.</summary>
    LeaseLost,
}

public static class ResultRefusals
{
    /// <summary>The reason a job fails with when its result is refused so; null when the job is not failed for it.</summary>
    public static JobReason? JobReason(this ResultRefusal refusal) => refusal switch
    {
        ResultRefusal.TooLarge => Pharos.Api.Contracts.JobReason.ResultTooLarge,
        ResultRefusal.Invalid => Pharos.Api.Contracts.JobReason.TrainingFailed,
        _ => null,
    };
}

/// <summary>Intake → queue, on an offer: is a result under this lease still wanted? Answered with a <see cref="DeliveryVerdict"/>.</summary>
[Manifest("may-deliver.v1")]
public sealed record MayDeliver(string TaskId, string LeaseId) : IPharosMessage;

/// <summary>
/// Intake → queue: the task's result is stored durably; complete the task with <paramref name="Metrics"/>, read from
/// the result itself. Answered with a <see cref="DeliveryVerdict"/> once the completion is durable.
/// </summary>
[Manifest("record-result.v1")]
public sealed record RecordResult(string TaskId, string LeaseId, TaskMetrics Metrics) : IPharosMessage;

/// <summary>
/// What the queue says of a delivery (see <see cref="DeliveryOutcome"/>); <paramref name="Detail"/> says why, for the
/// edge's log, and <paramref name="CommitSha"/> is the completed task's commit.
/// </summary>
[Manifest("delivery-verdict.v1")]
public sealed record DeliveryVerdict(string TaskId, string LeaseId, DeliveryOutcome Outcome, string Detail, string? CommitSha = null)
    : IPharosMessage;

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<DeliveryOutcome>))]
public enum DeliveryOutcome
{
    /// <summary>The task runs under this lease, or waits in the queue after losing it: the result is taken.</summary>
    Wanted,
    /// <summary>The task is completed already (a delivery repeated after its answer was lost): nothing more to send.</summary>
    AlreadyCompleted,
    /// <summary>The lease was lost and the task went on without it (to another worker, or to an end): the result is dropped.</summary>
    LeaseLost,
}

/// <summary>
/// The wire form of a <see cref="ResultChunk"/>: the length of its fields' JSON (int32 little-endian), that JSON, and
/// the data as raw bytes, so that a chunk costs its size and not a third more in base64.
/// </summary>
public static class ResultChunkCodec
{
    private const int MaxFieldsBytes = 4096;

    private sealed record Fields(string TaskId, string LeaseId, long Offset);

    public static byte[] Write(ResultChunk chunk)
    {
        var fields = JsonSerializer.SerializeToUtf8Bytes(new Fields(chunk.TaskId, chunk.LeaseId, chunk.Offset), PharosJson.Options);
        var bytes = new byte[4 + fields.Length + chunk.Data.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, fields.Length);
        fields.CopyTo(bytes, 4);
        chunk.Data.CopyTo(bytes, 4 + fields.Length);
        return bytes;
    }

    /// <exception cref="System.Runtime.Serialization.SerializationException">Not a chunk, or a length out of bounds.</exception>
    public static ResultChunk Read(byte[] bytes)
    {
        if (bytes.Length < 4) throw Invalid("shorter than its length prefix");
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (length <= 0 || length > MaxFieldsBytes || length > bytes.Length - 4) throw Invalid($"fields length {length}");
        var data = bytes.Length - 4 - length;
        if (data > ResultChunk.MaxBytes) throw Invalid($"{data} bytes of data, more than {ResultChunk.MaxBytes}");
        var fields = JsonSerializer.Deserialize<Fields>(bytes.AsSpan(4, length), PharosJson.Options) ?? throw Invalid("no fields");
        return new ResultChunk(fields.TaskId, fields.LeaseId, fields.Offset, bytes[(4 + length)..]);
    }

    private static System.Runtime.Serialization.SerializationException Invalid(string why) => new($"Not a result chunk: {why}.");
}
