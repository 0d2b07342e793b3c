namespace Pharos.Messages.Commands;

// The split brain resolver's tie-break between two equal halves of the cloud nodes (see Pharos.Actors.Cluster.QuorumLease):
//   any node → a cloud node's lease arbiter: ArbitrateLease;  arbiter → that node: LeaseArbitrated

/// <summary>
/// Take (or, with <paramref name="Release"/>, give back) the split brain resolver's lease for <paramref name="Owner"/>:
/// granted when nobody else holds it; it lapses after <paramref name="TtlMs"/> unless taken again by the same owner.
/// </summary>
[Manifest("arbitrate-lease.v1")]
public sealed record ArbitrateLease(string LeaseName, string Owner, long TtlMs, bool Release = false) : IPharosMessage;

/// <summary>The arbiter's answer to <see cref="ArbitrateLease"/>.</summary>
[Manifest("lease-arbitrated.v1")]
public sealed record LeaseArbitrated(bool Granted) : IPharosMessage;
