using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Cluster.Serialization;

namespace Pharos.Actors.Membership;

/// <summary>
/// Akka's cluster serializer, bound in hocon/pharos.base.hocon under its own name and id, that refuses Akka's
/// <c>Down</c> and <c>Leave</c> commands when they arrive from the wire: <c>Cluster.Down</c> and <c>Cluster.Leave</c>
/// give them to the local cluster daemon, which never reads them from a peer, so a peer that sends one to this node's
/// daemon is trying to down or remove members in this node's name. Akka logs the refusal ("Deserialization failed")
/// and drops the message; everything else is Akka's own code.
/// </summary>
public sealed class LocalClusterCommandsSerializer(ExtendedActorSystem system) : ClusterMessageSerializer(system)
{
    private const string DownManifest = "Akka.Cluster.ClusterUserAction+Down, Akka.Cluster";
    private const string LeaveManifest = "Akka.Cluster.ClusterUserAction+Leave, Akka.Cluster";

    public override object FromBinary(byte[] bytes, string manifest) => manifest is DownManifest or LeaveManifest
        ? throw new SerializationException($"Refused a cluster {manifest[(manifest.IndexOf('+') + 1)..manifest.IndexOf(',')]} " +
                                           "command from the wire: only a node's own cluster daemon takes one, and cloud nodes " +
                                           "down members through their own split brain resolver, role guard or admin API")
        : base.FromBinary(bytes, manifest);
}
