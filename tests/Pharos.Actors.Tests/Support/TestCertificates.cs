using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Pharos.Security;

namespace Pharos.Actors.Tests.Support;

/// <summary>
/// Two private CAs made with the same code as `pharos certs` (ours and another), node certificates from each, and
/// their files (PEM CA, PFX with a password) in a directory of their own; made once per test class.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public const string Password = "test-pfx-password-4f1c9a";

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("pharos-tls-").FullName;
    public X509Certificate2 Ca { get; } = ClusterCertificates.CreateCa("Pharos test CA", 1);
    public X509Certificate2 OtherCa { get; } = ClusterCertificates.CreateCa("Another CA", 1);
    public string CaPath { get; }
    public string OtherCaPath { get; }

    public TestCertificates()
    {
        CaPath = ClusterCertificates.WriteCa(Ca, Path.Combine(Directory, "ca")).CertificatePath;
        OtherCaPath = ClusterCertificates.WriteCa(OtherCa, Path.Combine(Directory, "other-ca")).CertificatePath;
    }

    /// <summary>
    /// A node certificate from <paramref name="ca"/> (ours by default) for 127.0.0.1, granting <paramref name="role"/>:
    /// by default the role a node of that name has (cloud for a name that starts with "cloud", edge otherwise).
    /// </summary>
    public X509Certificate2 Issue(string name, X509Certificate2? ca = null, string? role = null) =>
        ClusterCertificates.Issue(ca ?? Ca, name, role ?? RoleOf(name), [], [IPAddress.Loopback], 1);

    public static string RoleOf(string name) =>
        name.StartsWith(ClusterRoles.Cloud, StringComparison.Ordinal) ? ClusterRoles.Cloud : ClusterRoles.Edge;

    private int _files;

    /// <summary>The certificate as a PFX file protected by <see cref="Password"/> (NAME-N.pfx, a new file each time); its path.</summary>
    public string WritePfx(string name, X509Certificate2? ca = null, string? role = null)
    {
        var path = Path.Combine(Directory, $"{name}-{Interlocked.Increment(ref _files)}.pfx");
        using var certificate = Issue(name, ca, role);
        ClusterCertificates.WritePfx(certificate, path, Password);
        return path;
    }

    /// <summary>
    /// Settings read the way a node reads them, over loopback on any free port, with mutual TLS from our CA (a
    /// certificate whose role follows the name, as <see cref="Issue"/>'s).
    /// </summary>
    public PharosSettings Settings(string name, params (string Key, string Value)[] more) =>
        Read([("PHAROS_TLS_CERT", WritePfx(name)), ("PHAROS_TLS_CERT_PASSWORD", Password), ("PHAROS_TLS_CA", CaPath), .. more]);

    public static PharosSettings Read(params (string Key, string Value)[] values) =>
        PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    public void Dispose()
    {
        Ca.Dispose();
        OtherCa.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
