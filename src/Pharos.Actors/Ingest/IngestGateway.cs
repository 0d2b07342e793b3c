using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Pharos.Messages;
using Pharos.Messages.Commands;
using Pharos.Messages.Queries;
using Pharos.Messages.Status;

namespace Pharos.Actors.Ingest;

/// <summary>
/// The door of the queue. Checks, in this order, authentication, scope, the URL and the queue cap (from the depth
/// QueueActor publishes), so that a flood of bad or excess requests is refused without touching storage. Good
/// requests go to QueueActor, which answers the client directly.
/// </summary>
public sealed class IngestGateway : ReceiveActor, IWithTimers
{
    /// <summary>All a caller without a valid token learns.</summary>
    public const string UnauthenticatedDetail = "A valid bearer token is required.";

    private readonly TokenAuthenticator _authenticator;
    private readonly AuthFailureLog _failures;
    private readonly RepoUrlValidator _validator;
    private readonly IActorRef _queue;
    private readonly IActorRef _mediator;
    private readonly TimeProvider _clock;
    // Until the queue's first publication arrives the gateway lets requests through; the queue re-checks the cap.
    private QueueDepthChanged? _depth;

    public ITimerScheduler Timers { get; set; } = null!;

    public IngestGateway(TokenAuthenticator authenticator, AuthFailureLog failures, RepoUrlValidator validator,
        IActorRef queue, IActorRef mediator, TimeProvider clock)
    {
        _authenticator = authenticator;
        _failures = failures;
        _validator = validator;
        _queue = queue;
        _mediator = mediator;
        _clock = clock;

        Receive<SubmitIngest>(Submit);
        Receive<UrlValidated>(Validated);
        Receive<QueueDepthChanged>(depth => _depth = depth);
        // The queue may have published before this gateway subscribed: ask it once for the current depth.
        Receive<SubscribeAck>(_ => _queue.Tell(GetQueueDepth.Instance));
        Receive<FlushFailureLog>(_ => _failures.Flush(_clock.GetUtcNow()));
    }

    public static Props Props(TokenAuthenticator authenticator, AuthFailureLog failures, RepoUrlValidator validator,
        IActorRef queue, IActorRef mediator, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new IngestGateway(authenticator, failures, validator, queue, mediator, clock));

    protected override void PreStart()
    {
        _mediator.Tell(new Subscribe(Topics.QueueDepth, Self));
        Timers.StartPeriodicTimer(FlushFailureLog.Instance, FlushFailureLog.Instance, TimeSpan.FromMinutes(1));
    }

    private void Submit(SubmitIngest request)
    {
        var auth = _authenticator.Authenticate(request.Authorization);
        if (!auth.Succeeded)
        {
            _failures.Record(new AuthFailure(request.ClientIp, request.Route, auth.Reason!.Value, auth.Fingerprint), _clock.GetUtcNow());
            Sender.Tell(new IngestRefused(IngestRefusal.Unauthenticated, UnauthenticatedDetail));
            return;
        }
        if (!auth.HasScope(Scopes.Ingest))
        {
            Sender.Tell(new IngestRefused(IngestRefusal.Forbidden, $"The token '{auth.TokenName}' lacks the '{Scopes.Ingest}' scope."));
            return;
        }
        if (request.BodyError is { } bodyError)
        {
            Sender.Tell(new IngestRefused(IngestRefusal.InvalidRequest, bodyError));
            return;
        }
        if (!PriorityNames.TryParse(request.Priority, out var priority))
        {
            Sender.Tell(new IngestRefused(IngestRefusal.InvalidRequest, "priority must be low, normal or high."));
            return;
        }

        var client = Sender;
        var validation = _validator.ValidateAsync(request.RepoUrl);
        if (validation.IsCompletedSuccessfully)
            Validated(new UrlValidated(validation.Result, priority, auth.TokenName!, client));
        else
            validation.PipeTo(Self,
                success: check => new UrlValidated(check, priority, auth.TokenName!, client),
                failure: _ => new UrlValidated(RepoUrlCheck.Reject("The repository host could not be checked; try again."),
                    priority, auth.TokenName!, client));
    }

    private void Validated(UrlValidated validated)
    {
        if (!validated.Check.Ok)
        {
            validated.Client.Tell(new IngestRefused(IngestRefusal.InvalidRequest, validated.Check.Error!));
            return;
        }
        var now = _clock.GetUtcNow();
        if (_depth is { } depth && depth.IsFull(now))
        {
            validated.Client.Tell(new IngestRefused(IngestRefusal.QueueFull,
                $"The queue holds its maximum of {depth.Max} tasks; try again later.",
                RetryAfterSeconds: depth.RetryAfterSeconds(now)));
            return;
        }
        _queue.Tell(new EnqueueTask(validated.Check.NormalizedUrl!, validated.Priority, validated.TokenName), validated.Client);
    }

    private sealed record UrlValidated(RepoUrlCheck Check, Priority Priority, string TokenName, IActorRef Client);

    private sealed class FlushFailureLog
    {
        public static readonly FlushFailureLog Instance = new();
    }
}
