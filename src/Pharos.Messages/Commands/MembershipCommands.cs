namespace Pharos.Messages.Commands;

// How a cloud node learns which certificate, and so which role, each member holds (Pharos.Actors.Membership):
//   a cloud node's role guard → a member's identity actor: ProveMembership;  identity actor → guard: MembershipProof

/// <summary>Prove which certificate you hold: sign your address, uid and <paramref name="Nonce"/> with its key.</summary>
[Manifest("prove-membership.v1")]
public sealed record ProveMembership(string Nonce) : IPharosMessage;

/// <summary>
/// The answer to <see cref="ProveMembership"/>: the member's certificate (DER) and its signature over the statement
/// that names the member's own address, its uid and the nonce (Pharos.Security.MemberProofs).
/// </summary>
[Manifest("membership-proof.v1")]
public sealed record MembershipProof(string Nonce, byte[] Certificate, byte[] Signature) : IPharosMessage;
