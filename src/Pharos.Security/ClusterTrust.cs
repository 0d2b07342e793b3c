using System.Security.Cryptography.X509Certificates;

namespace Pharos.Security;

/// <summary>
/// Whether a certificate chains to the cluster's CA, with that CA as the only trust anchor: the operating system's
/// root store plays no part, so a certificate from any public or other private CA is refused.
/// </summary>
public static class ClusterTrust
{
    /// <summary>Null when <paramref name="certificate"/> chains to <paramref name="ca"/>; otherwise why not.</summary>
    /// <param name="extra">Intermediate certificates the peer sent along (none with `pharos certs`).</param>
    public static string? Refusal(X509Certificate2 certificate, X509Certificate2 ca, X509Certificate2Collection? extra = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // The private CA publishes no revocation lists; a lost node certificate is dealt with by a new CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (extra is not null) chain.ChainPolicy.ExtraStore.AddRange(extra);
        if (!chain.Build(certificate))
        {
            var reasons = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            return $"'{certificate.Subject}' does not chain to the cluster CA '{ca.Subject}': {string.Join("; ", reasons)}";
        }
        // CustomRootTrust accepts a chain to the anchor; the anchor must be this very CA, not one with the same name.
        var root = chain.ChainElements[^1].Certificate;
        return root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span)
            ? null
            : $"'{certificate.Subject}' chains to '{root.Subject}', not to the cluster CA";
    }
}
