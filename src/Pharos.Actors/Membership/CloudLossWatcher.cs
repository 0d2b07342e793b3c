using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Pharos.Actors.Membership;

/// <summary>
/// On an edge: when the cluster this node is in has had no cloud node for <c>grace</c>, the node leaves it for a new
/// one. Without this, an edge whose side of a partition had no cloud node (the split brain resolver downed the
/// cloud, or the cloud restarted and formed a new cluster) stays Up in a cluster of edges alone and never meets the
/// cloud again. Shutting the actor system down as a downed node does makes the edge's process start a new system,
/// which joins through the seeds (src/Pharos.EdgeNode/Program.cs).
/// </summary>
/// <remarks>Two phases: <see cref="Waiting"/> until a cloud node is first seen (nothing is lost before the first
/// join), then <see cref="Watching"/>, which arms a timer whenever the last cloud node is removed.</remarks>
public sealed class CloudLossWatcher : ReceiveActor, IWithTimers
{
    public const string Name = "cloud-loss-watcher";

    private const string TimerKey = "no-cloud";
    private readonly string _cloudRole;
    private readonly TimeSpan _grace;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private sealed class NoCloudTimeout
    {
        public static readonly NoCloudTimeout Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public CloudLossWatcher(string cloudRole, TimeSpan grace)
    {
        _cloudRole = cloudRole;
        _grace = grace;
        Waiting();
    }

    public static Props Props(string cloudRole, TimeSpan grace) => Akka.Actor.Props.Create(() => new CloudLossWatcher(cloudRole, grace));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Waiting()
    {
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(_cloudRole)) Become(Watching);
        });
        ReceiveAny(_ => { });
    }

    private void Watching()
    {
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            if (removed.Member.HasRole(_cloudRole) && !AnyCloud() && !Timers.IsTimerActive(TimerKey))
            {
                _log.Warning("No cloud node is left in this cluster; leaving it for a new one in {0} s unless one comes back",
                    _grace.TotalSeconds);
                Timers.StartSingleTimer(TimerKey, NoCloudTimeout.Instance, _grace);
            }
        });
        Receive<ClusterEvent.MemberUp>(up =>
        {
            if (up.Member.HasRole(_cloudRole)) Timers.Cancel(TimerKey);
        });
        Receive<NoCloudTimeout>(_ =>
        {
            if (AnyCloud()) return;
            _log.Warning("No cloud node in this cluster for {0} s: this node leaves it and joins through the seeds again",
                _grace.TotalSeconds);
            CoordinatedShutdown.Get(Context.System).Run(CoordinatedShutdown.ClusterDowningReason.Instance);
        });
        ReceiveAny(_ => { });
    }

    private bool AnyCloud() => _cluster.State.Members.Any(m => m.HasRole(_cloudRole) && m.Status is MemberStatus.Up or MemberStatus.Joining
        or MemberStatus.WeaklyUp);
}
