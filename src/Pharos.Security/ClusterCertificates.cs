using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pharos.Security;

/// <summary>
/// A private CA and the node certificates it issues for mutual TLS on the cluster port, with .NET's own X.509 APIs
/// (no openssl). `pharos certs` writes what these make; the tests make theirs in-process with the same code.
/// </summary>
public static class ClusterCertificates
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A self-signed CA certificate with its private key (RSA 3072), allowed to sign node certificates only.</summary>
    public static X509Certificate2 CreateCa(string commonName, int days)
    {
        using var key = RSA.Create(3072);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
    }

    /// <summary>
    /// A node certificate (RSA 2048) signed by <paramref name="ca"/>, with its private key: CN and a DNS name
    /// <paramref name="name"/>, the node's <paramref name="role"/> as its organizational unit (<see cref="ClusterRoles"/>),
    /// more DNS names and IP addresses in its SAN, usable as server and client certificate because both ends of a
    /// cluster connection present one. It never outlives the CA.
    /// </summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, string name, string role, IEnumerable<string> dnsNames,
        IEnumerable<IPAddress> ipAddresses, int days)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationalUnitName(ClusterRoles.Unit(role));
        subject.AddCommonName(name);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in new[] { name }.Concat(dnsNames).Distinct(StringComparer.OrdinalIgnoreCase)) san.AddDnsName(dns);
        foreach (var address in ipAddresses) san.AddIpAddress(address);

        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));

        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < ca.NotAfter ? now.AddDays(days) : new DateTimeOffset(ca.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var issued = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>DIR/ca.crt (PEM, for every node) and DIR/ca.key (PKCS#8 PEM, mode 0600).</summary>
    public static (string CertificatePath, string KeyPath) WriteCa(X509Certificate2 ca, string directory)
    {
        var (certPath, keyPath) = CaPaths(directory);
        Directory.CreateDirectory(directory);
        using var key = ca.GetRSAPrivateKey() ?? throw new ArgumentException("The CA certificate has no RSA private key.", nameof(ca));
        Secrets.WritePrivate(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(certPath, ca.ExportCertificatePem() + "\n");
        return (certPath, keyPath);
    }

    /// <summary>The CA that <see cref="WriteCa"/> wrote in <paramref name="directory"/>, with its private key.</summary>
    public static X509Certificate2 ReadCa(string directory)
    {
        var (certPath, keyPath) = CaPaths(directory);
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    public static (string CertificatePath, string KeyPath) CaPaths(string directory) =>
        (Path.Combine(directory, CaCertificateFile), Path.Combine(directory, CaKeyFile));

    /// <summary>The node certificate and its key as a password-protected PFX, mode 0600; never overwrites a file.</summary>
    public static void WritePfx(X509Certificate2 certificate, string path, string password) =>
        Secrets.WritePrivate(path, certificate.Export(X509ContentType.Pfx, password));
}
