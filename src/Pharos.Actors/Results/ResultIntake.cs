using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Pharos.Actors.Hosting;
using Pharos.CodeGraph.Results;
using Pharos.Messages.Commands;
using Pharos.Messages.Status;

namespace Pharos.Actors.Results;

/// <summary>Where the intake keeps results while they arrive, and how large one may be.</summary>
/// <param name="IncomingDirectory">Partial uploads (<c>PHAROS_DATA_DIR/incoming</c>): they survive a restart, so a delivery resumes.</param>
/// <param name="MaxBytes">PHAROS_MAX_RESULT_MB in bytes.</param>
/// <param name="MaxOpenUploads">How many uploads are open at once (see <see cref="DefaultMaxOpenUploads"/>).</param>
public sealed record IntakeSettings(string IncomingDirectory, long MaxBytes, int MaxOpenUploads = IntakeSettings.DefaultMaxOpenUploads)
{
    /// <summary>A partial upload nobody has resumed for this long is deleted.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromDays(1);

    /// <summary>
    /// Uploads open at once (each an open file): an edge that stops halfway never finishes its upload, so past this
    /// many the least recently active one is closed. Its part stays on disk, and its edge's next offer resumes it.
    /// </summary>
    public const int DefaultMaxOpenUploads = 64;
}

/// <summary>
/// Takes results from edges (one per cloud node): asks the queue whether an offered result is still wanted, answers
/// the offer with the offset to send from, appends each chunk at the offset it names, and once the whole result is
/// there and its SHA-256 matches, stores it in the <see cref="IResultStore"/>, records it with the queue (which
/// completes the task) and only then tells the edge it was delivered. Only edges of the cluster (or this node's own
/// worker) are heard; a chunk that does not continue its upload is answered with the offset it should have had.
/// </summary>
public sealed class ResultIntake : ReceiveActor
{
    /// <summary>How long the queue may take to answer (a completion is a journal write).</summary>
    public static readonly TimeSpan QueueTimeout = TimeSpan.FromSeconds(15);

    /// <param name="Touched">When it was last offered or appended to, in the intake's own count of such events.</param>
    private sealed record Upload(OfferResult Offer, IActorRef Uploader, FileStream Part, long Touched)
    {
        public long Length => Part.Length;
    }

    /// <summary>The queue's answer to an offer.</summary>
    private sealed record Answered(OfferResult Offer, IActorRef Uploader, DeliveryVerdict Verdict);

    private sealed record Stored(OfferResult Offer, IActorRef Uploader, StoredResult Result, ResultHeader Header);

    private sealed record StoreFailed(OfferResult Offer, IActorRef Uploader, Exception Error);

    /// <summary>The queue's answer once the stored result was recorded (the task completed, or the result not wanted).</summary>
    private sealed record Recorded(OfferResult Offer, IActorRef Uploader, StoredResult Result, DeliveryVerdict Verdict);

    private sealed record QueueSilent(OfferResult Offer, Exception Error);

    private readonly IntakeSettings _settings;
    private readonly IResultStore _store;
    private readonly IActorRef _queue;
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    // Offers whose result is whole and being stored and recorded: their answer follows.
    private readonly HashSet<string> _storing = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _touches;

    /// <summary>Uploads open now: at most <see cref="IntakeSettings.MaxOpenUploads"/>.</summary>
    public int OpenUploads => _uploads.Count;

    /// <param name="queue">The queue (its singleton proxy): asked whether a result is still wanted, and told when one is stored.</param>
    public ResultIntake(IntakeSettings settings, IResultStore store, IActorRef queue)
    {
        _settings = settings;
        _store = store;
        _queue = queue;
        Receive<OfferResult>(offer => FromEdge(() => Offered(offer)));
        Receive<Answered>(Cleared);
        Receive<ResultChunk>(chunk => FromEdge(() => Appended(chunk)));
        Receive<Stored>(stored =>
        {
            _log.Info("Stored the result of task {0} ({1} at {2}, {3} files)", stored.Offer.TaskId, stored.Result.RepoUrl,
                stored.Result.CommitSha, stored.Result.Files);
            var offer = stored.Offer;
            _queue.Ask<DeliveryVerdict>(new RecordResult(offer.TaskId, offer.LeaseId, Metrics(stored.Header)), QueueTimeout)
                .PipeTo(Self, success: verdict => new Recorded(offer, stored.Uploader, stored.Result, verdict),
                    failure: error => new QueueSilent(offer, error));
        });
        Receive<Recorded>(recorded =>
        {
            var offer = recorded.Offer;
            _storing.Remove(Key(offer));
            Forget(offer, deletePart: true);
            if (recorded.Verdict.Outcome == DeliveryOutcome.LeaseLost)
            {
                // Stored all the same: it is a true result of that commit, and the newest one wins in the store.
                recorded.Uploader.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.LeaseLost, recorded.Verdict.Detail));
                return;
            }
            recorded.Uploader.Tell(new ResultDelivered(offer.TaskId, offer.LeaseId, recorded.Result.CommitSha));
        });
        Receive<StoreFailed>(failed =>
        {
            _storing.Remove(Key(failed.Offer));
            // The store is down: the part stays whole, and the edge's next offer stores it again.
            _log.Warning("Could not store the result of task {0}: {1}", failed.Offer.TaskId, failed.Error.Message);
            Forget(failed.Offer, deletePart: false);
        });
        Receive<QueueSilent>(silent =>
        {
            // The queue is moving or recovering: the edge offers again after its silence, and nothing is lost (the part
            // stays whole; storing it again replaces the same commit).
            _storing.Remove(Key(silent.Offer));
            Forget(silent.Offer, deletePart: false);
            _log.Info("The queue did not answer about task {0} ({1}); the edge will offer again", silent.Offer.TaskId,
                silent.Error.Message);
        });
    }

    /// <summary>Its name under /user on every cloud node.</summary>
    public const string Name = "result-intake";

    /// <summary>
    /// The intake of the oldest cloud node that is up (where the queue runs, too); this node's own while none is
    /// known, which is where a standalone node's worker finds it.
    /// </summary>
    public static ActorSelection Locate(ActorSystem system)
    {
        var oldest = Cluster.Get(system).State.Members
            .Where(m => m.Status == MemberStatus.Up && m.HasRole(PharosAkkaHosting.CloudRole))
            .OrderBy(m => m, Member.AgeOrdering)
            .FirstOrDefault();
        return oldest is null
            ? system.ActorSelection($"/user/{Name}")
            : system.ActorSelection(new RootActorPath(oldest.Address) / "user" / Name);
    }

    public static Props Props(IntakeSettings settings, IResultStore store, IActorRef queue) =>
        Akka.Actor.Props.Create(() => new ResultIntake(settings, store, queue));

    protected override void PreStart()
    {
        Directory.CreateDirectory(_settings.IncomingDirectory);
        foreach (var part in Directory.EnumerateFiles(_settings.IncomingDirectory, "*.part"))
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(part) > IntakeSettings.AbandonedAfter) File.Delete(part);
    }

    protected override void PostStop()
    {
        foreach (var upload in _uploads.Values) upload.Part.Dispose();
    }

    private void Offered(OfferResult offer)
    {
        var key = Key(offer);
        if (offer.Bytes > _settings.MaxBytes)
        {
            Sender.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.TooLarge,
                $"The result is {Megabytes(offer.Bytes)} MB; this cloud takes results of at most {Megabytes(_settings.MaxBytes)} MB (PHAROS_MAX_RESULT_MB)."));
            return;
        }
        if (offer.Bytes <= 0 || offer.Sha256.Length != 64 || !offer.Sha256.All(Uri.IsHexDigit))
        {
            Sender.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.Invalid, "The offer names no size or no SHA-256."));
            return;
        }
        if (_storing.Contains(key)) return; // being stored: the answer follows
        // Before a byte is sent: is the result still wanted (its lease not lost to another worker)?
        var uploader = Sender;
        _queue.Ask<DeliveryVerdict>(new MayDeliver(offer.TaskId, offer.LeaseId), QueueTimeout)
            .PipeTo(Self, success: verdict => new Answered(offer, uploader, verdict), failure: error => new QueueSilent(offer, error));
    }

    private void Cleared(Answered cleared)
    {
        var (offer, uploader, verdict) = cleared;
        var key = Key(offer);
        if (_storing.Contains(key)) return;
        switch (verdict.Outcome)
        {
            case DeliveryOutcome.AlreadyCompleted:
                // A delivery whose answer was lost: the cloud has it.
                Forget(offer, deletePart: true);
                uploader.Tell(new ResultDelivered(offer.TaskId, offer.LeaseId, verdict.CommitSha ?? ""));
                return;
            case DeliveryOutcome.LeaseLost:
                Forget(offer, deletePart: true);
                _log.Info("Refused the result of task {0}: {1}", offer.TaskId, verdict.Detail);
                uploader.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.LeaseLost, verdict.Detail));
                return;
        }
        if (_uploads.TryGetValue(key, out var open) && open.Offer != offer) Forget(open.Offer, deletePart: true);
        if (!_uploads.TryGetValue(key, out var upload))
        {
            if (_uploads.Count >= _settings.MaxOpenUploads) CloseLeastActive();
            // A part left by an earlier offer of the same result resumes; one of another size or hash starts over.
            var path = PartPath(offer);
            var part = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            if (part.Length > offer.Bytes) part.SetLength(0);
            part.Seek(0, SeekOrigin.End);
            upload = new Upload(offer, uploader, part, ++_touches);
            _uploads[key] = upload;
        }
        else
        {
            _uploads[key] = upload = upload with { Uploader = uploader, Touched = ++_touches };
        }
        if (upload.Length == offer.Bytes) Complete(upload);
        else uploader.Tell(new ResultChunkAccepted(offer.TaskId, offer.LeaseId, upload.Length));
    }

    private void Appended(ResultChunk chunk)
    {
        if (!_uploads.TryGetValue(chunk.TaskId + "/" + chunk.LeaseId, out var upload))
        {
            Sender.Tell(new ResultRefused(chunk.TaskId, chunk.LeaseId, ResultRefusal.TryAgain, "No offer is open for this result; offer it again."));
            return;
        }
        if (chunk.Offset != upload.Length || chunk.Data.Length > upload.Offer.Bytes - upload.Length)
        {
            // A repeated or reordered chunk: say where the upload really is.
            Sender.Tell(new ResultChunkAccepted(chunk.TaskId, chunk.LeaseId, upload.Length));
            return;
        }
        upload.Part.Write(chunk.Data);
        upload.Part.Flush();
        _uploads[Key(upload.Offer)] = upload = upload with { Touched = ++_touches };
        if (upload.Length == upload.Offer.Bytes) Complete(upload);
        else Sender.Tell(new ResultChunkAccepted(chunk.TaskId, chunk.LeaseId, upload.Length));
    }

    /// <summary>All the bytes are there: check them against the offer's hash, then store them off the actor's thread.</summary>
    private void Complete(Upload upload)
    {
        var offer = upload.Offer;
        upload.Part.Flush(flushToDisk: true);
        upload.Part.Seek(0, SeekOrigin.Begin);
        var bytes = new byte[upload.Part.Length];
        upload.Part.ReadExactly(bytes);
        upload.Part.Seek(0, SeekOrigin.End);
        if (!Convert.ToHexString(SHA256.HashData(bytes)).Equals(offer.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            Forget(offer, deletePart: true);
            upload.Uploader.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.TryAgain,
                "The result's bytes do not match the SHA-256 offered; offer it again."));
            return;
        }
        CheckedBundle bundle;
        try
        {
            bundle = CheckedBundle.Of(bytes);
        }
        catch (InvalidDataException damaged)
        {
            // The bytes are what the edge hashed, so sending them again would not help.
            Forget(offer, deletePart: true);
            upload.Uploader.Tell(new ResultRefused(offer.TaskId, offer.LeaseId, ResultRefusal.Invalid,
                $"The result is not a valid Pharos result: {damaged.Message}"));
            return;
        }
        _storing.Add(Key(offer));
        _store.PutAsync(bundle).PipeTo(Self,
            success: result => new Stored(offer, upload.Uploader, result, bundle.Header),
            failure: error => new StoreFailed(offer, upload.Uploader, error));
    }

    /// <summary>What the job record keeps of a run, read from its result.</summary>
    private static TaskMetrics Metrics(ResultHeader header) => new(header.CommitSha, header.Graph.Nodes.Count,
        header.Graph.Edges.Count, header.Graph.Nodes.Count, header.FinalLoss,
        new StageSeconds { Clone = header.CloneSeconds, Parse = header.Graph.ParseSeconds, Train = header.TrainSeconds },
        Dims: header.Dims);

    /// <summary>Closes the upload least recently offered or appended to (one being stored last); its part stays for a resume.</summary>
    private void CloseLeastActive()
    {
        var oldest = _uploads.Values.OrderBy(u => _storing.Contains(Key(u.Offer))).ThenBy(u => u.Touched).First();
        _log.Info("Closed the upload of task {0} at {1} of {2} bytes: {3} uploads are open, the most at once; its edge's next offer resumes it",
            oldest.Offer.TaskId, oldest.Length, oldest.Offer.Bytes, _uploads.Count);
        Forget(oldest.Offer, deletePart: false);
    }

    private void Forget(OfferResult offer, bool deletePart)
    {
        if (_uploads.Remove(Key(offer), out var upload)) upload.Part.Dispose();
        if (deletePart) File.Delete(PartPath(offer));
    }

    /// <summary>Only a cluster member with the edge role, or a worker of this very node (standalone), may deliver.</summary>
    private void FromEdge(Action handle)
    {
        if (SenderRoles.IsLocalOr(Context.System, Sender, PharosAkkaHosting.EdgeRole)) handle();
        else _log.Warning("Ignored a result message from {0}, which is not an edge of this cluster", Sender.Path.Address);
    }

    private string PartPath(OfferResult offer) =>
        Path.Combine(_settings.IncomingDirectory, $"{Safe(offer.TaskId)}.{Safe(offer.LeaseId)}.{offer.Sha256[..16].ToLowerInvariant()}.part");

    // Ids come from the wire: only letters, digits and dashes reach a file name.
    private static string Safe(string id) => new(id.Take(80).Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());

    private static string Key(OfferResult offer) => offer.TaskId + "/" + offer.LeaseId;

    private static string Megabytes(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
