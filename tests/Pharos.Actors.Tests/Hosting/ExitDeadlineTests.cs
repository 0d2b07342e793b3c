using Akka.Actor;
using Akka.Configuration;
using Pharos.Actors.Hosting;

namespace Pharos.Actors.Tests.Hosting;

/// <summary>
/// The exit deadline of a node's shutdown, on a real cluster actor system whose termination the test holds up (a
/// termination callback that waits), as the downed cloud nodes' did in the partition tests.
/// </summary>
public sealed class ExitDeadlineTests
{
    private static ActorSystem ClusterSystem() => ActorSystem.Create("exit-" + Guid.NewGuid().ToString("N"), ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.coordinated-shutdown.exit-clr = off
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        """));

    [Fact]
    public async Task A_shutdown_whose_actor_system_never_terminates_ends_the_process_with_its_code_after_the_deadline()
    {
        var system = ClusterSystem();
        var exited = new TaskCompletionSource<(int Code, string Message)>(TaskCreationOptions.RunContinuationsAsynchronously);
        PharosAkkaHosting.ExitIfShutdownHangs(system, TimeSpan.FromSeconds(1), (code, message) => exited.TrySetResult((code, message)));
        using var release = new ManualResetEventSlim();
        system.RegisterOnTermination(() => release.Wait(TimeSpan.FromSeconds(60)));

        _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);

        var (code, message) = await exited.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, code);
        Assert.Contains("did not end within 1 s", message);
        Assert.False(system.WhenTerminated.IsCompleted);
        release.Set();
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_shutdown_that_ends_in_time_leaves_the_process_to_its_host()
    {
        var system = ClusterSystem();
        // A member that is up leaves at once; one that never joined waits out the leaving phases' timeouts.
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var exited = 0;
        PharosAkkaHosting.ExitIfShutdownHangs(system, TimeSpan.FromSeconds(5), (_, _) => Interlocked.Increment(ref exited));

        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(6)); // past the deadline

        Assert.Equal(0, Volatile.Read(ref exited));
    }

    [Fact]
    public async Task Nothing_happens_while_no_shutdown_has_begun()
    {
        var system = ClusterSystem();
        var exited = 0;
        PharosAkkaHosting.ExitIfShutdownHangs(system, TimeSpan.FromMilliseconds(200), (_, _) => Interlocked.Increment(ref exited));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Volatile.Read(ref exited));
        await system.Terminate();
    }
}
