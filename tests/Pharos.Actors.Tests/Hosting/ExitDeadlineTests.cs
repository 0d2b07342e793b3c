using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Pharos.Actors.Hosting;

namespace Pharos.Actors.Tests.Hosting;

/// <summary>
/// The exit deadline of a node's shutdown, on a real cluster actor system whose termination the test can hold up (a
/// termination callback that waits) and a host stop the test signals, as the partition tests' downed cloud nodes hung.
/// </summary>
public sealed class ExitDeadlineTests
{
    private readonly TaskCompletionSource<(int Code, string Message)> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The generic host's own lifetime, signalled by the test as a host would: stopping, then stopped.
    private readonly ApplicationLifetime _host = new(NullLogger<ApplicationLifetime>.Instance);

    private ActorSystem Watched(TimeSpan deadline)
    {
        var system = ActorSystem.Create("exit-" + Guid.NewGuid().ToString("N"), ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.coordinated-shutdown.exit-clr = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """));
        PharosAkkaHosting.ExitIfShutdownHangs(system, deadline, _host, (code, message) => _exited.TrySetResult((code, message)));
        return system;
    }

    private void StopHost()
    {
        _host.StopApplication();
        _host.NotifyStopped();
    }

    [Fact]
    public async Task A_shutdown_whose_actor_system_never_terminates_ends_the_process_with_its_code_after_the_deadline()
    {
        var system = Watched(TimeSpan.FromSeconds(1));
        using var release = new ManualResetEventSlim();
        system.RegisterOnTermination(() => release.Wait(TimeSpan.FromSeconds(60)));

        _ = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);

        var (code, message) = await _exited.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, code);
        Assert.Contains("did not end within 1 s (actor system not terminated, host not stopped)", message);
        release.Set();
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_terminated_system_whose_host_never_stops_ends_the_process_after_the_deadline()
    {
        var system = Watched(TimeSpan.FromSeconds(1));
        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));

        var (code, message) = await _exited.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, code);
        Assert.Contains("(actor system terminated, host not stopped)", message);
    }

    [Fact]
    public async Task A_shutdown_that_ends_in_time_leaves_the_process_to_its_host()
    {
        var system = Watched(TimeSpan.FromSeconds(5));
        // A member that is up leaves at once; one that never joined waits out the leaving phases' timeouts.
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));
        StopHost();
        await Task.Delay(TimeSpan.FromSeconds(6)); // past the deadline

        Assert.False(_exited.Task.IsCompleted, "the process was ended although its shutdown ended in time");
    }

    [Fact]
    public async Task Nothing_happens_while_no_shutdown_has_begun()
    {
        var system = Watched(TimeSpan.FromMilliseconds(200));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(_exited.Task.IsCompleted);
        StopHost();
        await system.Terminate();
    }
}
