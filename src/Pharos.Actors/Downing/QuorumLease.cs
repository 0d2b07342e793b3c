using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Pharos.Actors.Hosting;
using Pharos.Messages.Commands;

namespace Pharos.Actors.Downing;

/// <summary>Where a side of a partition stands among the cloud nodes (members with role <c>cloud</c>).</summary>
public enum QuorumSide
{
    /// <summary>More than half the cloud nodes are on this side: it survives, whoever else answers.</summary>
    Majority,
    /// <summary>Fewer than half (or none): this side downs itself.</summary>
    Minority,
    /// <summary>Exactly half, as with two cloud nodes one of which is gone: an arbiter outside the cluster decides.</summary>
    Tie,
}

public static class CloudQuorum
{
    public static QuorumSide Of(int cloudMembers, int reachableCloudMembers) =>
        reachableCloudMembers <= 0 ? QuorumSide.Minority
        : reachableCloudMembers * 2 > cloudMembers ? QuorumSide.Majority
        : reachableCloudMembers * 2 < cloudMembers ? QuorumSide.Minority
        : QuorumSide.Tie;
}

/// <summary>
/// The lease of the split brain resolver (strategy <c>lease-majority</c> on role <c>cloud</c>, hocon/pharos.base.hocon).
/// A side with more than half the cloud nodes gets it at once and a side with fewer never does: keep-majority's rule,
/// which needs no store. A tie (two cloud nodes, one of them gone or cut off) cannot be decided from inside the
/// cluster: a crashed peer and a partitioned one look the same, and keep-majority's tie-break (the lowest address
/// survives) downs the survivor whenever the dead node had the lower address. The lease then asks the arbiter of a
/// reachable cloud node (<see cref="LeaseArbiterActor"/>, which takes a key in Redis, the store both cloud nodes
/// share): the first side to take it survives, the other downs itself, so at most one queue runs.
/// </summary>
/// <remarks>
/// An edge can be the leader that decides for its side; it has no Redis, so it asks a cloud node on its side. A side
/// with no reachable arbiter (no cloud node, or a cloud node without Redis) does not get the lease on a tie.
/// </remarks>
public sealed class QuorumLease : Lease
{
    /// <summary>The name of the arbiter actor under /user on a cloud node that has one.</summary>
    public const string ArbiterName = "pharos-lease-arbiter";

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);
    private readonly ExtendedActorSystem _system;
    private readonly ILoggingAdapter _log;
    private volatile bool _held;
    private volatile string? _arbiter;

    public QuorumLease(LeaseSettings settings, ExtendedActorSystem system) : base(settings)
    {
        _system = system;
        _log = Logging.GetLogger(system, typeof(QuorumLease));
    }

    public override Task<bool> Acquire() => Acquire(_ => { });

    public override async Task<bool> Acquire(Action<Exception> leaseLostCallback)
    {
        var cluster = Akka.Cluster.Cluster.Get(_system);
        var state = cluster.State;
        var clouds = state.Members
            .Where(m => m.HasRole(PharosAkkaHosting.CloudRole) && m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.Leaving)
            .ToList();
        var reachable = clouds.Where(m => !state.Unreachable.Contains(m)).ToList();
        var side = CloudQuorum.Of(clouds.Count, reachable.Count);
        _log.Info("Split brain: {0} of {1} cloud nodes on this side ({2})", reachable.Count, clouds.Count, side);
        _held = side switch
        {
            QuorumSide.Majority => true,
            QuorumSide.Minority => false,
            _ => await ArbitrateAsync(reachable.OrderBy(m => m.Address != cluster.SelfAddress).Select(m => m.Address)),
        };
        return _held;
    }

    private async Task<bool> ArbitrateAsync(IEnumerable<Address> cloudNodes)
    {
        foreach (var node in cloudNodes)
        {
            var arbiter = $"{node}/user/{ArbiterName}";
            try
            {
                var answer = await _system.ActorSelection(arbiter)
                    .Ask<LeaseArbitrated>(new ArbitrateLease(), AskTimeout);
                _log.Info("Split brain tie: the arbiter at {0} {1} the lease to {2}", node, answer.Granted ? "granted" : "refused",
                    Settings.OwnerName);
                if (answer.Granted) _arbiter = arbiter;
                return answer.Granted;
            }
            catch (AskTimeoutException)
            {
                _log.Warning("Split brain tie: no lease arbiter answered at {0}", node);
            }
        }
        return false;
    }

    public override async Task<bool> Release()
    {
        _held = false;
        if (Interlocked.Exchange(ref _arbiter, null) is not { } arbiter) return true;
        try
        {
            // Asked, not told: the arbiter gives the lease back only to the member that got it, which it knows by the sender.
            await _system.ActorSelection(arbiter).Ask<LeaseArbitrated>(new ArbitrateLease(Release: true), AskTimeout);
        }
        catch (AskTimeoutException)
        {
            _log.Warning("Split brain: the arbiter at {0} did not confirm the release; the lease lapses on its own", arbiter);
        }
        return true;
    }

    public override bool CheckLease() => _held;
}

/// <summary>What takes and gives back the lease for <see cref="LeaseArbiterActor"/>: a key in the shared store.</summary>
public interface ILeaseArbiter
{
    /// <summary>True when <paramref name="owner"/> holds the lease now (it was free, or already its own).</summary>
    Task<bool> TryAcquireAsync(string leaseName, string owner, TimeSpan ttl);

    Task ReleaseAsync(string leaseName, string owner);
}

/// <summary>
/// A cloud node's arbiter for <see cref="QuorumLease"/> ties: it takes the lease in the store for its own node, under
/// the lease name and heartbeat timeout of its own configuration, for the leader of its side of the partition (itself,
/// or an edge) — only members of the cluster may ask, and only the member that got the lease may give it back. An
/// error of the store refuses the lease.
/// </summary>
public sealed class LeaseArbiterActor : ReceiveActor
{
    public LeaseArbiterActor(ILeaseArbiter arbiter)
    {
        var log = Context.GetLogger();
        var config = Context.System.Settings.Config;
        var leaseName = config.GetString("akka.cluster.split-brain-resolver.lease-majority.lease-name");
        var ttl = config.GetTimeSpan("pharos.split-brain-lease.heartbeat-timeout");
        var owner = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.HostPort();
        Address? grantedTo = null;
        ReceiveAsync<ArbitrateLease>(async request =>
        {
            var sender = Sender;
            var from = sender.Path.Address;
            if (!Hosting.SenderRoles.IsLocalOr(Context.System, sender, role: null)
                || (request.Release && from != grantedTo && !from.HasLocalScope))
            {
                log.Warning("Ignored an ArbitrateLease{0} from {1}, which {2}", request.Release ? " release" : "", from,
                    request.Release ? "did not get the lease" : "is not a member of this cluster");
                return;
            }
            try
            {
                if (request.Release)
                {
                    await arbiter.ReleaseAsync(leaseName, owner);
                    grantedTo = null;
                    sender.Tell(new LeaseArbitrated(false));
                    return;
                }
                var granted = await arbiter.TryAcquireAsync(leaseName, owner, ttl);
                if (granted) grantedTo = from;
                sender.Tell(new LeaseArbitrated(granted));
            }
            catch (Exception e)
            {
                log.Warning(e, "The lease arbiter could not reach its store; {0} does not get the lease", from);
                sender.Tell(new LeaseArbitrated(false));
            }
        });
    }

    public static Props Props(ILeaseArbiter arbiter) => Akka.Actor.Props.Create(() => new LeaseArbiterActor(arbiter));
}
