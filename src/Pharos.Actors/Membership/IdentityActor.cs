using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Pharos.Actors.Configuration;
using Pharos.Messages.Commands;
using Pharos.Security;

namespace Pharos.Actors.Membership;

/// <summary>
/// Every node with mutual TLS answers a cloud node's <see cref="ProveMembership"/> with a <see cref="MembershipProof"/>:
/// its certificate and a signature, with that certificate's key, over its own address, uid and the asker's nonce.
/// Anyone may ask: the proof speaks only for this node, this incarnation and that question.
/// </summary>
public sealed class IdentityActor : ReceiveActor
{
    /// <summary>Under /user on every node, where <see cref="RoleGuard"/> asks.</summary>
    public const string Name = "pharos-identity";

    public IdentityActor(ClusterTls tls)
    {
        var self = Cluster.Get(Context.System).SelfUniqueAddress;
        var certificate = tls.Certificate.RawData;
        var log = Context.GetLogger();
        Receive<ProveMembership>(ask =>
        {
            // A member signs only statements it makes itself: a nonce of the form the guard makes, nothing else.
            if (!MemberProofs.IsNonce(ask.Nonce))
            {
                log.Warning("Ignored a ProveMembership from {0} whose nonce is not one a cloud node makes", Sender.Path.Address);
                return;
            }
            var statement = MemberProofs.Statement(self.Address.ToString(), self.Uid, ask.Nonce);
            Sender.Tell(new MembershipProof(ask.Nonce, certificate, MemberProofs.Sign(tls.Certificate, statement)));
        });
    }

    public static Props Props(ClusterTls tls) => Akka.Actor.Props.Create(() => new IdentityActor(tls));
}
