using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pharos.Security;

namespace Pharos.Actors.Tests.Membership;

/// <summary>
/// What a member's proof of its certificate is worth: it grants exactly the role its certificate names, and only for
/// the statement it signed (this address, this incarnation, this question).
/// </summary>
public sealed class MemberProofsTests(TestCertificates certs) : IClassFixture<TestCertificates>
{
    private const string Address = "akka.ssl.tcp://pharos@10.0.0.7:41234";

    [Fact]
    public void A_certificate_grants_exactly_the_role_it_names()
    {
        using var cloud = certs.Issue("cloud-1");
        using var edge = certs.Issue("edge-1");
        Assert.Equal(ClusterRoles.Cloud, ClusterRoles.Of(cloud));
        Assert.Equal(ClusterRoles.Edge, ClusterRoles.Of(edge));
        // The CA names no role (no OU=pharos-…), so a certificate like it grants none.
        Assert.Null(ClusterRoles.Of(certs.Ca));

        Assert.Null(ClusterRoles.Refusal(ClusterRoles.Edge, ["edge", "dc-default"]));
        Assert.Null(ClusterRoles.Refusal(ClusterRoles.Cloud, ["cloud", "dc-default"]));
        Assert.Contains("claims the role 'cloud'", ClusterRoles.Refusal(ClusterRoles.Edge, ["cloud", "dc-default"]));
        Assert.Contains("claims the role 'edge'", ClusterRoles.Refusal(ClusterRoles.Cloud, ["edge"]));
        Assert.Contains("names no role", ClusterRoles.Refusal(null, ["edge"]));
    }

    [Fact]
    public void A_proof_verifies_for_the_statement_signed_and_the_role_granted()
    {
        using var edge = certs.Issue("edge-1");
        var nonce = MemberProofs.NewNonce();
        var statement = MemberProofs.Statement(Address, 17, nonce);
        var signature = MemberProofs.Sign(edge, statement);

        Assert.Equal((ClusterRoles.Edge, (string?)null), MemberProofs.Verify(certs.Ca, edge.RawData, signature, statement, ["edge"]));
        var (_, claimsCloud) = MemberProofs.Verify(certs.Ca, edge.RawData, signature, statement, ["cloud"]);
        Assert.Contains("'OU=pharos-edge, CN=edge-1': it claims the role 'cloud'", claimsCloud);

        // Someone else's certificate sent along with this signature, or a certificate of another CA.
        using var other = certs.Issue("edge-2");
        Assert.Contains("did not sign", MemberProofs.Verify(certs.Ca, other.RawData, signature, statement, ["edge"]).Refusal);
        using var stranger = certs.Issue("edge-3", certs.OtherCa);
        Assert.Contains("does not chain to the cluster CA",
            MemberProofs.Verify(certs.Ca, stranger.RawData, MemberProofs.Sign(stranger, statement), statement, ["edge"]).Refusal);
        Assert.Equal("its proof holds no certificate", MemberProofs.Verify(certs.Ca, [1, 2, 3], signature, statement, ["edge"]).Refusal);
    }

    [Fact]
    public void Members_sign_only_nonces_of_the_form_a_cloud_node_makes()
    {
        Assert.True(MemberProofs.IsNonce(MemberProofs.NewNonce()));
        Assert.NotEqual(MemberProofs.NewNonce(), MemberProofs.NewNonce());
        Assert.False(MemberProofs.IsNonce("not-a-nonce"));
        Assert.False(MemberProofs.IsNonce(new string('A', MemberProofs.NonceBytes * 2)));
        Assert.False(MemberProofs.IsNonce(MemberProofs.NewNonce() + "\nakka.ssl.tcp://pharos@10.0.0.1:4053"));
    }

    /// <summary>A proof signed for one member, incarnation and question is refused for any other.</summary>
    [Property(MaxTest = 60)]
    public Property A_proof_is_worth_nothing_for_another_address_incarnation_or_question()
    {
        var edge = certs.Issue("edge-1");
        var nonce = MemberProofs.NewNonce();
        var signed = MemberProofs.Sign(edge, MemberProofs.Statement(Address, 17, nonce));
        var others = Gen.OneOf(
            Gen.Choose(1, 65_535).Where(port => port != 41234).Select(port => (Address.Replace("41234", port.ToString()), 17, nonce)),
            Gen.Choose(int.MinValue, int.MaxValue).Where(uid => uid != 17).Select(uid => (Address, uid, nonce)),
            Gen.Constant(0).Select(_ => (Address, 17, MemberProofs.NewNonce())));
        return Prop.ForAll(others.ToArbitrary(), other =>
            MemberProofs.Verify(certs.Ca, edge.RawData, signed, MemberProofs.Statement(other.Item1, other.Item2, other.Item3), ["edge"])
                .Refusal?.Contains("did not sign") == true);
    }
}
