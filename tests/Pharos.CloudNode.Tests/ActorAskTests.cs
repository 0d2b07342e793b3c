using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Pharos.CloudNode.Api;

namespace Pharos.CloudNode.Tests;

/// <summary>How a route asks an actor, against a real actor system that a test terminates (as the cluster does when it downs the node).</summary>
public sealed class ActorAskTests
{
    private const string Detail = "The queue did not answer in time. Retry.";

    [Fact]
    public async Task A_request_waiting_for_an_actor_answers_503_as_soon_as_the_actor_system_terminates()
    {
        var system = ActorSystem.Create("ask-" + Guid.NewGuid().ToString("N"));
        var silent = system.ActorOf(Props.Create(() => new Silent()));
        var context = Context(system);

        var ask = ActorAsk.AskAsync<object>(context, silent, "anyone?", _ => Microsoft.AspNetCore.Http.Results.Ok(), Detail);
        Assert.False(ask.IsCompleted);
        await system.Terminate();

        // Well before the ask's own timeout: the termination, not the timeout, ended it.
        var result = await ask.WaitAsync(ActorAsk.Timeout - TimeSpan.FromSeconds(2));
        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal(Detail, problem.ProblemDetails.Detail);
        Assert.Equal("5", context.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_request_whose_client_went_away_is_not_answered_503_when_the_system_later_terminates()
    {
        var system = ActorSystem.Create("ask-" + Guid.NewGuid().ToString("N"));
        var silent = system.ActorOf(Props.Create(() => new Silent()));
        using var aborted = new CancellationTokenSource();
        var context = Context(system);
        context.RequestAborted = aborted.Token;

        var ask = ActorAsk.AskAsync<object>(context, silent, "anyone?", _ => Microsoft.AspNetCore.Http.Results.Ok(), Detail);
        await aborted.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask);
        await system.Terminate();
    }

    [Fact]
    public async Task An_answer_is_mapped_as_before()
    {
        var system = ActorSystem.Create("ask-" + Guid.NewGuid().ToString("N"));
        try
        {
            var echo = system.ActorOf(Props.Create(() => new Echo()));
            var result = await ActorAsk.AskAsync<string>(Context(system), echo, "hello", reply => Microsoft.AspNetCore.Http.Results.Text(reply), Detail);
            Assert.Equal("hello", Assert.IsType<ContentHttpResult>(result).ResponseContent);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static DefaultHttpContext Context(ActorSystem system) => new()
    {
        RequestServices = new ServiceCollection().AddSingleton(system).AddSingleton<ActorSystemTermination>().BuildServiceProvider(),
    };

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }
}
