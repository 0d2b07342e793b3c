using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Pharos.Security;

/// <summary>
/// How a cluster member proves which certificate it holds, and so which role it may claim: it signs a statement that
/// names its own address, its incarnation (Akka's uid) and a fresh nonce of the asker with the certificate's private
/// key. A proof is worth nothing for another member (the address differs), for a later incarnation (the uid differs)
/// or for another question (the nonce differs), so relaying or replaying one gains nothing.
/// </summary>
public static class MemberProofs
{
    /// <summary>Nonces are this many random bytes, written as lower-case hex.</summary>
    public const int NonceBytes = 16;

    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes));

    /// <summary>True for what <see cref="NewNonce"/> makes: a member signs nothing else.</summary>
    public static bool IsNonce(string nonce) =>
        nonce.Length == NonceBytes * 2 && nonce.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>What is signed: a fixed prefix (so the signature means nothing anywhere else), address, uid, nonce.</summary>
    public static byte[] Statement(string address, long uid, string nonce) =>
        Encoding.UTF8.GetBytes($"pharos-member-proof/1\n{address}\n{uid}\n{nonce}");

    public static byte[] Sign(X509Certificate2 certificate, byte[] statement)
    {
        using var key = certificate.GetRSAPrivateKey()
                        ?? throw new ArgumentException("The certificate has no RSA private key.", nameof(certificate));
        return key.SignData(statement, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>
    /// The role the proof's certificate grants, or why the proof fails: the certificate does not chain to
    /// <paramref name="ca"/>, names no role or another than <paramref name="claimedRoles"/>, or did not sign
    /// <paramref name="statement"/>.
    /// </summary>
    public static (string? Role, string? Refusal) Verify(X509Certificate2 ca, byte[] certificate, byte[] signature,
        byte[] statement, IEnumerable<string> claimedRoles)
    {
        X509Certificate2 presented;
        try
        {
            presented = X509CertificateLoader.LoadCertificate(certificate);
        }
        catch (CryptographicException)
        {
            return (null, "its proof holds no certificate");
        }
        using (presented)
        {
            if (ClusterTrust.Refusal(presented, ca) is { } untrusted) return (null, untrusted);
            var role = ClusterRoles.Of(presented);
            if (ClusterRoles.Refusal(role, claimedRoles) is { } refusal) return (role, $"'{presented.Subject}': {refusal}");
            using var key = presented.GetRSAPublicKey();
            var signed = key is not null && key.VerifyData(statement, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return signed ? (role, null) : (role, $"'{presented.Subject}' did not sign this member's statement");
        }
    }
}
