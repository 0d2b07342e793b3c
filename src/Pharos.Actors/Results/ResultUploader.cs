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
public sealed record UploadProgressed(long Received, long Total) : IStepReport
{
    /// <summary>0..1 of the result the cloud has.</summary>
    public double Fraction => Total <= 0 ? 0 : Math.Clamp((double)Received / Total, 0, 1);
}

/// <summary>The uploader → its parent: the cloud stored the result (and the outbox entry is gone).</summary>
public sealed record UploadDelivered(OutboxEntry Entry, string CommitSha) : IStepReport;

/// <summary>The uploader → its parent: the cloud will never take the result (and the outbox entry is gone).</summary>
public sealed record UploadRefused(OutboxEntry Entry, ResultRefusal Refusal, string Detail) : IStepReport;

/// <summary>
/// Delivers one outbox entry to the cloud's <see cref="ResultIntake"/>: offers it, then sends chunks from the offset
/// the intake names, at most <see cref="Window"/> of them ahead of what the intake has acknowledged (each answer names
/// the next offset it wants: that is the acknowledgement and the back-pressure; messages between two actors arrive in
/// order, so a full window costs one round trip, not one per chunk). Silence past <see cref="AnswerTimeout"/> means
/// the cloud is away: the uploader offers again, with a growing pause, for as long as it lives, and the intake
/// resumes from the bytes it already has.
/// </summary>
public sealed class ResultUploader : ReceiveActor, IWithTimers
{
    /// <summary>How long the uploader waits for an answer before it offers again (the first pause; then it grows).</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);
    /// <summary>Chunks in flight at most: 512 KiB, well within what the remote transport buffers.</summary>
    public const int Window = 8;
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
    private readonly TimeSpan _answerTimeout;
    // Where the next chunk to send starts; -1 until the intake has named an offset since the last offer.
    private long _sentUpTo = -1;
    // The highest offset the intake has acknowledged.
    private long _acknowledged;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="intake">Where the cloud's intake is now (asked again on every offer: the cloud may have moved).</param>
    /// <param name="answerTimeout"><see cref="AnswerTimeout"/> unless given (tests wait less).</param>
    public ResultUploader(OutboxEntry entry, Func<ActorSelection> intake, TimeSpan? answerTimeout = null)
    {
        _answerTimeout = answerTimeout ?? AnswerTimeout;
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

    public static Props Props(OutboxEntry entry, Func<ActorSelection> intake, TimeSpan? answerTimeout = null) =>
        Akka.Actor.Props.Create(() => new ResultUploader(entry, intake, answerTimeout));

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
        // Whatever was in flight is the intake's to account for: it answers the offer with where it stands.
        _sentUpTo = -1;
        _intake().Tell(_offer, Self);
        Timers.StartSingleTimer(nameof(Silence), new Silence(attempt), Pause(attempt));
    }

    private void Send(ResultChunkAccepted accepted)
    {
        if (accepted.NextOffset < 0 || accepted.NextOffset > _offer.Bytes) return;
        // An answer is a sign of life: the pause starts over.
        Timers.StartSingleTimer(nameof(Silence), new Silence(0), _answerTimeout);
        if (_sentUpTo < 0)
        {
            // The first answer to an offer: the intake's part ends here.
            _sentUpTo = _acknowledged = accepted.NextOffset;
        }
        // An answer older than one already heard (from before the last offer, say) says nothing new.
        if (accepted.NextOffset < _acknowledged) return;
        _acknowledged = accepted.NextOffset;
        Context.Parent.Tell(new UploadProgressed(accepted.NextOffset, _offer.Bytes));
        if (accepted.NextOffset == _offer.Bytes) return; // all there: the intake is storing it
        // Keep the window full: send what lies within Window chunks of what the intake has.
        while (_sentUpTo < _offer.Bytes && _sentUpTo < _acknowledged + ResultChunk.MaxBytes * (long)Window)
        {
            var data = new byte[(int)Math.Min(ResultChunk.MaxBytes, _offer.Bytes - _sentUpTo)];
            _file.Seek(_sentUpTo, SeekOrigin.Begin);
            _file.ReadExactly(data);
            Sender.Tell(new ResultChunk(_entry.TaskId, _entry.LeaseId, _sentUpTo, data));
            _sentUpTo += data.Length;
        }
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

    private TimeSpan Pause(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxPause.Ticks, _answerTimeout.Ticks * (1L << Math.Min(attempt - 1, 6))));
}
