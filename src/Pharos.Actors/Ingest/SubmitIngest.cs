namespace Pharos.Actors.Ingest;

// The gateway's own protocol lives here, beside the gateway, not in Pharos.Messages: Pharos.Messages is what crosses
// the wire or reaches the journal (every type there has a manifest and stable bytes), while these records only travel
// from an endpoint to the gateway of the same node. Keeping them out means no manifest to freeze, and no way for a
// caller's identity to be serialized to another node by mistake.

/// <summary>
/// Who is asking, as the HTTP layer authenticated them: its token's name (the submitter its jobs record), the scopes it
/// holds, whether its token was granted private repositories (its tasks are cloned with the edge's git credentials),
/// and its share of the queue's cap (null: the whole cap).
/// </summary>
public sealed record Caller(string Name, ApiScope Scopes, bool PrivateRepos = false, int? MaxQueued = null);

/// <summary>
/// HTTP → IngestGateway: a request already authenticated and parsed (body, priority, ref). The gateway checks the
/// scope, the ref, the URL and the cap, in that order, before anything reaches the queue; the queue (or the gateway)
/// answers the sender with IngestAccepted or IngestRefused. <paramref name="Ref"/>: the branch, tag or commit to ingest
/// (null: the remote's default branch). <paramref name="Imported"/>: a task of the original Pharos's queue with its own
/// timing (`POST /admin/import`), which only the admin scope may ask for (it can make tasks that never expire); the
/// queue answers it with ImportAccepted.
/// </summary>
public sealed record SubmitIngest(Caller Caller, string RepoUrl, Priority Priority, string? Ref = null,
    Pharos.Messages.Commands.ImportedTiming? Imported = null);
