namespace Pharos.CloudNode.Api;

/// <summary>How every endpoint asks an actor: one timeout, and a silent actor (store down, singleton moving) is a 503.</summary>
internal static class ActorAsk
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<IResult> AskAsync<TReply>(HttpContext context, IActorRef actor, object message,
        Func<TReply, IResult> map, string timeoutDetail = "The queue did not answer in time.")
    {
        try
        {
            return map(await actor.Ask<TReply>(message, Timeout, context.RequestAborted));
        }
        catch (AskTimeoutException)
        {
            return ApiProblems.Unavailable(context, timeoutDetail);
        }
        catch (Pharos.Actors.Queue.QueueUnavailableException e)
        {
            return ApiProblems.Unavailable(context, e.Message);
        }
    }
}
