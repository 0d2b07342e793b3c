using Akka.Actor;
using Akka.Cluster;

namespace Pharos.Actors.Hosting;

/// <summary>Who may send an actor a message that only one kind of node sends.</summary>
public static class SenderRoles
{
    /// <summary>
    /// True when <paramref name="sender"/> lives in this node (its own actors, a standalone node's worker) or on a
    /// cluster member with <paramref name="role"/> (null: any member). Needs no cluster for a local sender, so that actors tested without
    /// one still hear their own.
    /// </summary>
    public static bool IsLocalOr(ActorSystem system, IActorRef sender, string? role)
    {
        // A message sent without a sender arrives from the wire with this system's dead letters as its sender: local
        // in scope, anonymous in fact. Nothing that may speak for a role sends without a sender.
        if (sender.IsNobody() || sender.Equals(system.DeadLetters)) return false;
        var address = sender.Path.Address;
        if (address.HasLocalScope) return true;
        var cluster = Cluster.Get(system);
        return address == cluster.SelfAddress || cluster.State.Members.Any(m => m.Address == address && (role is null || m.HasRole(role)));
    }
}
