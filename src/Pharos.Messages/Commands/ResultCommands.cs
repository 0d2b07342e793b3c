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

/// <summary>
/// Cloud → edge: the result will never be taken (too large, damaged, under a lease that was lost); the edge drops it.
/// <paramref name="Reason"/> is the job's failure reason when the job fails for it.
/// </summary>
[Manifest("result-refused.v1")]
public sealed record ResultRefused(string TaskId, string LeaseId, JobReason? Reason, string Detail) : IPharosMessage;

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
