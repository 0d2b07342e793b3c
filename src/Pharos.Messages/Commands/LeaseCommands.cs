namespace Pharos.Messages.Commands;

// The split brain resolver's tie-break between two equal halves of the cloud nodes (see Pharos.Actors.Cluster.QuorumLease):
//   any node → a cloud node's lease arbiter: ArbitrateLease;  arbiter → that node: LeaseArbitrated

/// <summary>
/// Ask a cloud node to take the split brain resolver's lease for itself (or, with <paramref name="Release"/>, to give
/// it back): granted when no other cloud node holds it. The name, owner and lifetime are the arbiter's own settings,
/// never the asker's, so a member can only ask a cloud node on its side of a partition to claim that side.
/// </summary>
[Manifest("arbitrate-lease.v2")]
public sealed record ArbitrateLease(bool Release = false) : IPharosMessage;

/// <summary>The arbiter's answer to <see cref="ArbitrateLease"/>.</summary>
[Manifest("lease-arbitrated.v1")]
public sealed record LeaseArbitrated(bool Granted) : IPharosMessage;
