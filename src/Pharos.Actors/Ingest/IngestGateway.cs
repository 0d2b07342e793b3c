using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Ingest;

/// <summary>
/// The door of the queue. Checks, in this order, the caller's scope, the ref's syntax, the URL and the queue cap (from
/// the depth QueueActor publishes; for an import, the queue alone checks the cap), so that a flood of bad or excess
/// requests is refused without touching storage. Good
/// requests go to QueueActor, which answers the client directly. Credentials never reach it: the HTTP layer
/// authenticated the caller and sends only who it is.
/// </summary>
public sealed class IngestGateway : ReceiveActor
{
    private readonly RepoUrlValidator _validator;
    private readonly IActorRef _queue;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    // Until the queue's first publication arrives the gateway lets requests through; the queue re-checks the cap.
    private QueueDepthChanged? _depth;

    public IngestGateway(RepoUrlValidator validator, IActorRef queue, IActorRef mediator, TimeProvider clock)
    {
        _validator = validator;
        _queue = queue;
        _mediator = mediator;
        _clock = clock;

        Receive<SubmitIngest>(Submit);
        Receive<UrlValidated>(Validated);
        Receive<QueueDepthChanged>(depth => _depth = depth);
        // The queue may have published before this gateway subscribed: ask it once for the current depth.
        Receive<SubscribeAck>(_ => _queue.Tell(GetQueueDepth.Instance));
    }

    public static Props Props(RepoUrlValidator validator, IActorRef queue, IActorRef mediator, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new IngestGateway(validator, queue, mediator, clock));

    /// <summary>The 403 detail for a caller without <paramref name="scope"/>; the HTTP layer's refusals say the same.</summary>
    public static string LacksScope(string callerName, string scope) => $"The token '{callerName}' lacks the '{scope}' scope.";

    protected override void PreStart() => _mediator.Tell(new Subscribe(Topics.QueueDepth, Self));

    private void Submit(SubmitIngest request)
    {
        // An import chooses its own submission time and TTL (even none): more power than an ingest.
        var scope = request.Imported is null ? ApiScope.Ingest : ApiScope.Admin;
        if (!request.Caller.Scopes.Grants(scope))
        {
            Sender.Tell(new IngestRefused(IngestRefusal.Forbidden, LacksScope(request.Caller.Name, scope.Name())));
            return;
        }
        if (request.Ref is { } gitRef && GitRefSyntax.Problem(gitRef) is { } problem)
        {
            Sender.Tell(new IngestRefused(IngestRefusal.InvalidRequest, problem));
            return;
        }

        var client = Sender;
        var validation = _validator.ValidateAsync(request.RepoUrl);
        if (validation.IsCompletedSuccessfully)
            Validated(new UrlValidated(validation.Result, request, client));
        else
            validation.PipeTo(Self,
                success: check => new UrlValidated(check, request, client),
                failure: _ => new UrlValidated(RepoUrlCheck.Reject("The repository host could not be checked; try again."),
                    request, client));
    }

    private void Validated(UrlValidated validated)
    {
        if (!validated.Check.Ok)
        {
            validated.Client.Tell(new IngestRefused(IngestRefusal.InvalidRequest, validated.Check.Error!));
            return;
        }
        var now = _clock.GetUtcNow();
        // An import stale on arrival needs no room, and only the queue knows its TTL: the queue checks the cap for imports.
        if (validated.Request.Imported is null && _depth is { } depth && depth.IsFull(now))
        {
            validated.Client.Tell(new IngestRefused(IngestRefusal.QueueFull,
                $"The queue holds its maximum of {depth.Max} tasks; try again later.",
                RetryAfterSeconds: depth.RetryAfterSeconds(now)));
            return;
        }
        var request = validated.Request;
        var caller = request.Caller;
        // The share is checked by the queue, which alone counts each submitter's tasks.
        _queue.Tell(new EnqueueTask(validated.Check.NormalizedUrl!, request.Priority, caller.Name, caller.PrivateRepos, caller.MaxQueued,
                request.Ref, request.Imported),
            validated.Client);
    }

    private sealed record UrlValidated(RepoUrlCheck Check, SubmitIngest Request, IActorRef Client);
}
