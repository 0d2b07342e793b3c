using Akka.Actor;

namespace Pharos.CloudNode.Api;

/// <summary>How every endpoint asks an actor: one timeout, and a silent actor (store down, singleton moving) is a 503.</summary>
internal static class ActorAsk
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<IResult> AskAsync<TReply>(HttpContext context, IActorRef actor, object message,
        Func<TReply, IResult> map, string timeoutDetail = "The queue did not answer in time.")
    {
        var terminated = context.RequestServices.GetRequiredService<ActorSystemTermination>().Token;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, terminated);
        try
        {
            return map(await actor.Ask<TReply>(message, Timeout, cancel.Token));
        }
        catch (AskTimeoutException)
        {
            return ApiProblems.Unavailable(context, timeoutDetail);
        }
        catch (OperationCanceledException) when (terminated.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return ApiProblems.Unavailable(context, timeoutDetail);
        }
        catch (Pharos.Actors.Queue.QueueUnavailableException e)
        {
            return ApiProblems.Unavailable(context, e.Message);
        }
    }
}

/// <summary>
/// Cancelled once the node's actor system has terminated (the cluster downed the node): no actor can answer after
/// that, so a request waiting for one ends at once, as a timeout would, instead of holding the node's exit (the host
/// waits for the requests in flight) for the whole timeout before a supervisor can restart it.
/// </summary>
internal sealed class ActorSystemTermination
{
    // Never disposed: it holds no timer, and the continuation may run after the container is gone.
    private readonly CancellationTokenSource _terminated = new();

    public ActorSystemTermination(ActorSystem system) =>
        system.WhenTerminated.ContinueWith(_ => _terminated.Cancel(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    public CancellationToken Token => _terminated.Token;
}
