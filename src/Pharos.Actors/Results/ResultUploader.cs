using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using Pharos.Actors.Edge;
using Pharos.Messages.Commands;

namespace Pharos.Actors.Results;

/// <summary>One result waiting in the edge's outbox: the task and lease it was computed under, and its file.</summary>
public sealed record OutboxEntry(string TaskId, string LeaseId, string Path);

/// <summary>
/// The edge's outbox (<c>PHAROS_DATA_DIR/outbox</c>): results written whole (a temporary name, then a rename) before
/// their delivery starts and deleted once the cloud has stored them or refused them for good, so a result computed
/// while the cloud was away, or before a restart, is still delivered.
/// </summary>
public static class Outbox
{
    private const string Extension = ".result";

    /// <summary>Writes <paramref name="write"/>'s bytes as the task's entry, atomically.</summary>
    public static OutboxEntry Put(string directory, string taskId, string leaseId, Action<Stream> write)
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, $"{taskId}.{leaseId}{Extension}");
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        return new OutboxEntry(taskId, leaseId, path);
    }

    /// <summary>The entries waiting, oldest first; half-written ones (a crash before the rename) are deleted.</summary>
    public static IReadOnlyList<OutboxEntry> Pending(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        foreach (var temporary in Directory.EnumerateFiles(directory, "*" + Extension + ".tmp")) File.Delete(temporary);
        return Directory.EnumerateFiles(directory, "*" + Extension)
            .OrderBy(File.GetLastWriteTimeUtc)
            .Select(path => System.IO.Path.GetFileName(path)[..^Extension.Length].Split('.', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => new OutboxEntry(parts[0], parts[1], System.IO.Path.Combine(directory, $"{parts[0]}.{parts[1]}{Extension}")))
            .ToList();
    }
}

/// <summary>The uploader → its parent: the cloud has <paramref name="Received"/> of <paramref name="Total"/> bytes.</summary>
public sealed record UploadProgressed(long Received, long Total) : IStepReport;

/// <summary>The uploader → its parent: the cloud stored the result (and the outbox entry is gone).</summary>
public sealed record UploadDelivered(OutboxEntry Entry, string CommitSha) : IStepReport;

/// <summary>The uploader → its parent: the cloud will never take the result (and the outbox entry is gone).</summary>
public sealed record UploadRefused(OutboxEntry Entry, ResultRefusal Refusal, string Detail) : IStepReport;

/// <summary>
/// Delivers one outbox entry to the cloud's <see cref="ResultIntake"/>: offers it, then sends the chunk at each offset
/// the intake asks for, one at a time (the intake's answer is the acknowledgement and the back-pressure). Silence past
/// <see cref="AnswerTimeout"/> means the cloud is away: the uploader offers again, with a growing pause, for as long
/// as it lives, and the intake resumes from the bytes it already has.
/// </summary>
public sealed class ResultUploader : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(60);
    /// <summary>Refusals without a reason (a lost offer, a damaged transfer) tried again before giving up.</summary>
    private const int MaxRetriedRefusals = 3;

    private sealed record Silence(int Attempt);

    private readonly OutboxEntry _entry;
    private readonly Func<ActorSelection> _intake;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private OfferResult _offer = null!;
    private FileStream _file = null!;
    private int _refusals;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="intake">Where the cloud's intake is now (asked again on every offer: the cloud may have moved).</param>
    public ResultUploader(OutboxEntry entry, Func<ActorSelection> intake)
    {
        _entry = entry;
        _intake = intake;
        Receive<Silence>(silence => Offer(silence.Attempt + 1));
        Receive<ResultChunkAccepted>(accepted => accepted.TaskId == _entry.TaskId && accepted.LeaseId == _entry.LeaseId, Send);
        Receive<ResultDelivered>(delivered => delivered.TaskId == _entry.TaskId && delivered.LeaseId == _entry.LeaseId, delivered =>
        {
            Done();
            Context.Parent.Tell(new UploadDelivered(_entry, delivered.CommitSha));
        });
        Receive<ResultRefused>(refused => refused.TaskId == _entry.TaskId && refused.LeaseId == _entry.LeaseId, Refused);
    }

    public static Props Props(OutboxEntry entry, Func<ActorSelection> intake) =>
        Akka.Actor.Props.Create(() => new ResultUploader(entry, intake));

    protected override void PreStart()
    {
        _file = new FileStream(_entry.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16);
        var sha = Convert.ToHexString(SHA256.HashData(_file)).ToLowerInvariant();
        _offer = new OfferResult(_entry.TaskId, _entry.LeaseId, _file.Length, sha);
        Offer(attempt: 1);
    }

    protected override void PostStop() => _file?.Dispose();

    private void Offer(int attempt)
    {
        _intake().Tell(_offer, Self);
        Timers.StartSingleTimer(nameof(Silence), new Silence(attempt), Pause(attempt));
    }

    private void Send(ResultChunkAccepted accepted)
    {
        if (accepted.NextOffset < 0 || accepted.NextOffset > _offer.Bytes) return;
        // An answer is a sign of life: the pause starts over.
        Timers.StartSingleTimer(nameof(Silence), new Silence(0), AnswerTimeout);
        Context.Parent.Tell(new UploadProgressed(accepted.NextOffset, _offer.Bytes));
        if (accepted.NextOffset == _offer.Bytes) return; // all sent: the intake is storing it
        var data = new byte[(int)Math.Min(ResultChunk.MaxBytes, _offer.Bytes - accepted.NextOffset)];
        _file.Seek(accepted.NextOffset, SeekOrigin.Begin);
        _file.ReadExactly(data);
        Sender.Tell(new ResultChunk(_entry.TaskId, _entry.LeaseId, accepted.NextOffset, data));
    }

    private void Refused(ResultRefused refused)
    {
        if (refused.Refusal == ResultRefusal.TryAgain && ++_refusals <= MaxRetriedRefusals)
        {
            _log.Warning("The cloud refused the result of task {0} for now ({1}); offering it again", _entry.TaskId, refused.Detail);
            Offer(attempt: 1);
            return;
        }
        Done();
        Context.Parent.Tell(new UploadRefused(_entry, refused.Refusal, refused.Detail));
    }

    private void Done()
    {
        Timers.CancelAll();
        _file.Dispose();
        File.Delete(_entry.Path);
        Context.Stop(Self);
    }

    private static TimeSpan Pause(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxPause.Ticks, AnswerTimeout.Ticks * (1L << Math.Min(attempt - 1, 6))));
}
