using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pharos.Security;

namespace Pharos.Actors.Configuration;

/// <summary>
/// Mutual TLS on the cluster port, loaded and checked once at start: this node's certificate with its private key,
/// and the CA that every peer's certificate must chain to (the only trust anchor; the OS root store is not used).
/// </summary>
public sealed class ClusterTls
{
    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Ca { get; }
    /// <summary>The role <see cref="Certificate"/> grants (<see cref="ClusterRoles"/>); null for one issued without a role.</summary>
    public string? Role => ClusterRoles.Of(Certificate);

    public ClusterTls(X509Certificate2 certificate, X509Certificate2 ca)
    {
        Certificate = certificate;
        Ca = ca;
    }

    /// <summary>Null when the peer may connect; otherwise why not (for the log).</summary>
    public string? Refusal(X509Certificate2? peer) =>
        peer is null ? "the peer presented no certificate" : ClusterTrust.Refusal(peer, Ca);

    /// <summary>A node may hold only the role its certificate names: checked at start, before it joins anything.</summary>
    public void RequireRole(string role, string certificatePath)
    {
        // The one rule of what a certificate grants, as the cloud's role guard applies it to other members.
        if (ClusterRoles.Refusal(Role, [role]) is null) return;
        throw new SettingsException((Role is null
                                        ? $"PHAROS_TLS_CERT ({certificatePath}) names no role"
                                        : $"PHAROS_TLS_CERT ({certificatePath}) grants the role '{Role}', not '{role}'") +
                                    $": a node may hold only the role its certificate names. Issue this node's certificate " +
                                    $"with `pharos certs issue --role {role}`.");
    }

    /// <summary>
    /// Null when neither file is set. Every problem is a <see cref="SettingsException"/> naming the variable and the
    /// file, never the password.
    /// </summary>
    public static ClusterTls? Load(string? certificatePath, string? password, string? caPath)
    {
        if (certificatePath is null && caPath is null)
        {
            return password is null ? null
                : throw new SettingsException("PHAROS_TLS_CERT_PASSWORD is set but PHAROS_TLS_CERT is not.");
        }
        if (caPath is null)
            throw new SettingsException("PHAROS_TLS_CERT is set but PHAROS_TLS_CA is not: mutual TLS needs the CA whose " +
                                        "certificates peers must present.");
        if (certificatePath is null)
            throw new SettingsException("PHAROS_TLS_CA is set but PHAROS_TLS_CERT is not: mutual TLS needs this node's " +
                                        "certificate (a PFX from `pharos certs issue`).");

        var ca = LoadCa(caPath);
        var certificate = LoadCertificate(certificatePath, password);
        if (ClusterTrust.Refusal(certificate, ca) is { } refusal)
            throw new SettingsException($"PHAROS_TLS_CERT ({certificatePath}) is not usable with PHAROS_TLS_CA ({caPath}): {refusal}.");
        return new ClusterTls(certificate, ca);
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"PHAROS_TLS_CERT: cannot read {path}: {e.Message}.");
        }
        catch (CryptographicException)
        {
            // The exception's text says nothing more useful, and a message must never carry the password.
            throw new SettingsException($"PHAROS_TLS_CERT: {path} is not a PFX (PKCS#12) file that PHAROS_TLS_CERT_PASSWORD " +
                                        "opens: the password is wrong or the file is not a PFX.");
        }
        if (!certificate.HasPrivateKey)
            throw new SettingsException($"PHAROS_TLS_CERT: {path} holds no private key.");
        return certificate;
    }

    private static X509Certificate2 LoadCa(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"PHAROS_TLS_CA: cannot read {path}: {e.Message}.");
        }
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(text);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new SettingsException($"PHAROS_TLS_CA: {path} is not a PEM certificate (-----BEGIN CERTIFICATE-----).");
        }
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            throw new SettingsException($"PHAROS_TLS_CA: {path} ('{ca.Subject}') is not a CA certificate.");
        return ca;
    }
}
