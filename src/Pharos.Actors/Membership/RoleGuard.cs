using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Pharos.Actors.Configuration;
using Pharos.Messages.Commands;
using Pharos.Security;

namespace Pharos.Actors.Membership;

/// <summary>
/// On each cloud node with mutual TLS: every other member must prove, within <see cref="Deadline"/> of being seen,
/// that it holds a certificate of the cluster's CA whose role grants the roles it claims (<see cref="MemberProofs"/>).
/// A member that proves otherwise, or not at all, is downed and the reason logged: an edge certificate never holds the
/// cloud role (the queue, the lease decision), whatever the node says of itself. Every cloud node guards on its own;
/// downing is idempotent, so no leader is needed.
/// </summary>
public sealed class RoleGuard : ReceiveActor, IWithTimers
{
    /// <summary>How long a new member has to answer; it is asked again every <see cref="AskEvery"/> until then.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AskEvery = TimeSpan.FromSeconds(1);

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ClusterTls _tls;
    private readonly Dictionary<UniqueAddress, Pending> _pending = [];
    private readonly HashSet<UniqueAddress> _proven = [];
    private readonly HashSet<UniqueAddress> _downed = [];

    private sealed record Pending(Member Member, string Nonce, DateTime Until);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public RoleGuard(ClusterTls tls)
    {
        _tls = tls;
        Receive<ClusterEvent.IMemberEvent>(OnMember);
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members) Watch(member);
        });
        Receive<MembershipProof>(OnProof);
        Receive<Tick>(_ => AskOrDown());
    }

    public static Props Props(ClusterTls tls) => Akka.Actor.Props.Create(() => new RoleGuard(tls));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, AskEvery);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnMember(ClusterEvent.IMemberEvent change)
    {
        if (change is ClusterEvent.MemberRemoved removed)
        {
            _pending.Remove(removed.Member.UniqueAddress);
            _proven.Remove(removed.Member.UniqueAddress);
            _downed.Remove(removed.Member.UniqueAddress);
            return;
        }
        Watch(change.Member);
    }

    private void Watch(Member member)
    {
        var id = member.UniqueAddress;
        if (id == _cluster.SelfUniqueAddress || _proven.Contains(id) || _downed.Contains(id) || _pending.ContainsKey(id)) return;
        if (member.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Removed) return;
        var pending = new Pending(member, MemberProofs.NewNonce(), DateTime.UtcNow + Deadline);
        _pending[id] = pending;
        Ask(pending);
    }

    private void Ask(Pending pending) =>
        Context.ActorSelection(new RootActorPath(pending.Member.Address) / "user" / IdentityActor.Name)
            .Tell(new ProveMembership(pending.Nonce), Self);

    private void AskOrDown()
    {
        var now = DateTime.UtcNow;
        foreach (var pending in _pending.Values.ToList())
        {
            if (now < pending.Until) Ask(pending);
            else Down(pending.Member, $"it gave no proof of its certificate within {Deadline.TotalSeconds:0} s");
        }
    }

    private void OnProof(MembershipProof proof)
    {
        var from = Sender.Path.Address;
        if (_pending.Values.FirstOrDefault(p => p.Nonce == proof.Nonce && p.Member.Address == from) is not { } pending)
        {
            // The guard asks every second until it hears: late answers of a member it has decided on are expected.
            var decided = _proven.Concat(_downed).Any(member => member.Address == from);
            if (decided) return;
            _log.Warning("Ignored a MembershipProof from {0} that answers no question of this node", from);
            return;
        }
        // The roles it claims now, as the cluster knows them (a member cannot change them after joining).
        var member = _cluster.State.Members.FirstOrDefault(m => m.UniqueAddress == pending.Member.UniqueAddress) ?? pending.Member;
        var statement = MemberProofs.Statement(member.Address.ToString(), member.UniqueAddress.Uid, pending.Nonce);
        var (role, refusal) = MemberProofs.Verify(_tls.Ca, proof.Certificate, proof.Signature, statement, member.Roles);
        if (refusal is not null)
        {
            Down(member, refusal);
            return;
        }
        _pending.Remove(member.UniqueAddress);
        _proven.Add(member.UniqueAddress);
        _log.Info("Member {0} proved its certificate: role {1}", member.Address, role);
    }

    private void Down(Member member, string why)
    {
        _pending.Remove(member.UniqueAddress);
        _downed.Add(member.UniqueAddress);
        _log.Warning("Downing member {0} (roles {1}): {2}", member.Address, string.Join(", ", member.Roles), why);
        _cluster.Down(member.Address);
    }
}
