using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos certs create-ca --out DIR` and `pharos certs issue --ca DIR --name NAME --out FILE.pfx`: a private CA and
/// node certificates for mutual TLS on the cluster port, with .NET's own X.509 APIs (no openssl needed).
/// </summary>
internal static class CertsCommand
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";

    public static Command Build()
    {
        var caOut = new Option<DirectoryInfo>("--out") { Description = "Directory for ca.crt and ca.key (created if missing).", Required = true };
        var caName = new Option<string>("--name") { Description = "The CA's common name.", DefaultValueFactory = _ => "Pharos cluster CA" };
        var caDays = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 3650 };
        var createCa = new Command("create-ca", "Create a certificate authority: DIR/ca.crt (share it with every node) and DIR/ca.key (mode 0600; keep it off the nodes).")
        {
            caOut, caName, caDays,
        };
        createCa.SetAction((result, _) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, () => Task.FromResult(CreateCa(result.GetValue(caOut)!, result.GetValue(caName)!,
                result.GetValue(caDays), context)));
        });

        var ca = new Option<DirectoryInfo>("--ca") { Description = "The directory create-ca wrote.", Required = true };
        var name = new Option<string>("--name") { Description = "The node's name: its common name and a DNS name it is known by.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The PFX file to write (mode 0600).", Required = true };
        var password = new Option<string?>("--password") { Description = "The PFX password (default: PHAROS_TLS_CERT_PASSWORD, else a new random one written beside the PFX)." };
        var dns = new Option<string[]>("--dns") { Description = "More DNS names the node is reached by.", AllowMultipleArgumentsPerToken = true };
        var ips = new Option<string[]>("--ip") { Description = "IP addresses the node is reached by.", AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 825 };
        var issue = new Command("issue", "Issue a node certificate signed by the CA, usable as server and client (mutual TLS), as a PFX for PHAROS_TLS_CERT.")
        {
            ca, name, output, password, dns, ips, days,
        };
        issue.SetAction((result, _) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, () => Task.FromResult(Issue(result.GetValue(ca)!, result.GetValue(name)!,
                result.GetValue(output)!, result.GetValue(password), result.GetValue(dns) ?? [], result.GetValue(ips) ?? [],
                result.GetValue(days), context)));
        });

        return new Command("certs", "Certificates for mutual TLS on the cluster port.") { createCa, issue };
    }

    private static int CreateCa(DirectoryInfo directory, string commonName, int days, ParseResultContext context)
    {
        if (days < 1) throw new CliException("--days must be at least 1.");
        var certPath = Path.Combine(directory.FullName, CaCertificateFile);
        var keyPath = Path.Combine(directory.FullName, CaKeyFile);
        if (File.Exists(certPath) || File.Exists(keyPath))
            throw new CliException($"{directory.FullName} already holds a CA; remove it first to make a new one.");

        using var key = RSA.Create(3072);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(commonName)}"), key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));

        Directory.CreateDirectory(directory.FullName);
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem() + "\n");
        context.Output.WriteLine($"CA certificate  {certPath}   (PHAROS_TLS_CA on every node)");
        context.Output.WriteLine($"CA private key  {keyPath}   (mode 0600; needed only to issue node certificates)");
        return 0;
    }

    private static int Issue(DirectoryInfo caDirectory, string name, FileInfo output, string? password, string[] dnsNames,
        string[] ipAddresses, int days, ParseResultContext context)
    {
        if (days < 1) throw new CliException("--days must be at least 1.");
        if (string.IsNullOrWhiteSpace(name)) throw new CliException("--name must not be empty.");
        var certPath = Path.Combine(caDirectory.FullName, CaCertificateFile);
        var keyPath = Path.Combine(caDirectory.FullName, CaKeyFile);
        if (!File.Exists(certPath) || !File.Exists(keyPath))
            throw new CliException($"no CA in {caDirectory.FullName}: expected {CaCertificateFile} and {CaKeyFile} (run `pharos certs create-ca`).");
        if (output.Exists) throw new CliException($"{output.FullName} exists; remove it first.");

        using var caCertificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in new[] { name }.Concat(dnsNames).Distinct(StringComparer.OrdinalIgnoreCase)) san.AddDnsName(dns);
        foreach (var text in ipAddresses)
        {
            if (!IPAddress.TryParse(text, out var address)) throw new CliException($"--ip '{text}' is not an IP address.");
            san.AddIpAddress(address);
        }

        using var key = RSA.Create(2048);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}"), key, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        // Both ends of a cluster connection present this certificate: it is a server and a client certificate.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caCertificate, true, false));

        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(days) < caCertificate.NotAfter ? now.AddDays(days) : new DateTimeOffset(caCertificate.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(caCertificate, now.AddMinutes(-5), notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        var passwordFile = output.FullName + ".password";
        password ??= Environment.GetEnvironmentVariable("PHAROS_TLS_CERT_PASSWORD");
        var generated = password is null;
        password ??= TokenCommand.NewToken();
        Directory.CreateDirectory(output.DirectoryName!);
        WritePrivate(output.FullName, withKey.Export(X509ContentType.Pfx, password));
        if (generated) WritePrivate(passwordFile, password);

        context.Output.WriteLine($"certificate  {output.FullName}   (PHAROS_TLS_CERT; CN={name}, valid until {notAfter:yyyy-MM-dd})");
        context.Output.WriteLine(generated
            ? $"password     {passwordFile}   (PHAROS_TLS_CERT_PASSWORD; mode 0600)"
            : "password     the one given (PHAROS_TLS_CERT_PASSWORD)");
        return 0;
    }

    /// <summary>Written readable by its owner only, from the first byte.</summary>
    private static void WritePrivate(string path, string text) => WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(text));

    private static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
    }

    // A name given on the command line must not smuggle more RDNs into the subject.
    private static string Escape(string value) =>
        value.Any(c => c is ',' or '+' or '=' or '"' or '\\' or '<' or '>' or ';' or '\n' or '\r')
            ? throw new CliException($"'{value}' holds characters a certificate name cannot take (, + = \" \\ < > ;).")
            : value;
}
