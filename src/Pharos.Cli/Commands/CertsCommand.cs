using Pharos.Security;

namespace Pharos.Cli.Commands;

/// <summary>
/// `pharos certs create-ca --out DIR` and `pharos certs issue --ca DIR --name NAME --role cloud|edge --out FILE.pfx`: a
/// private CA and node certificates for mutual TLS on the cluster port, each naming the one role its node may hold,
/// with .NET's own X.509 APIs (no openssl needed).
/// </summary>
internal static class CertsCommand
{
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
        var role = new Option<string>("--role")
        {
            Description = "The role the node may hold in the cluster: cloud (the queue, the HTTP API) or edge (workers only).",
            Required = true,
        };
        role.AcceptOnlyFromAmong([.. ClusterRoles.All]);
        var output = new Option<FileInfo>("--out") { Description = "The PFX file to write (mode 0600).", Required = true };
        var password = new Option<string?>("--password") { Description = "The PFX password (default: PHAROS_TLS_CERT_PASSWORD, else a new random one written beside the PFX)." };
        var dns = new Option<string[]>("--dns") { Description = "More DNS names the node is reached by.", AllowMultipleArgumentsPerToken = true };
        var ips = new Option<string[]>("--ip") { Description = "IP addresses the node is reached by.", AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 825 };
        var issue = new Command("issue", "Issue a node certificate signed by the CA, usable as server and client (mutual TLS), as a PFX for PHAROS_TLS_CERT.")
        {
            ca, name, role, output, password, dns, ips, days,
        };
        issue.SetAction((result, _) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, () => Task.FromResult(Issue(result.GetValue(ca)!, result.GetValue(name)!,
                result.GetValue(role)!, result.GetValue(output)!, result.GetValue(password), result.GetValue(dns) ?? [], result.GetValue(ips) ?? [],
                result.GetValue(days), context)));
        });

        return new Command("certs", "Certificates for mutual TLS on the cluster port.") { createCa, issue };
    }

    private static int CreateCa(DirectoryInfo directory, string commonName, int days, ParseResultContext context)
    {
        if (days < 1) throw new CliException("--days must be at least 1.");
        var (certPath, keyPath) = ClusterCertificates.CaPaths(directory.FullName);
        if (File.Exists(certPath) || File.Exists(keyPath))
            throw new CliException($"{directory.FullName} already holds a CA; remove it first to make a new one.");

        using var certificate = ClusterCertificates.CreateCa(Escape(commonName), days);
        ClusterCertificates.WriteCa(certificate, directory.FullName);
        context.Output.WriteLine($"CA certificate  {certPath}   (PHAROS_TLS_CA on every node)");
        context.Output.WriteLine($"CA private key  {keyPath}   (mode 0600; needed only to issue node certificates)");
        return 0;
    }

    private static int Issue(DirectoryInfo caDirectory, string name, string role, FileInfo output, string? password, string[] dnsNames,
        string[] ipAddresses, int days, ParseResultContext context)
    {
        if (days < 1) throw new CliException("--days must be at least 1.");
        if (string.IsNullOrWhiteSpace(name)) throw new CliException("--name must not be empty.");
        var (certPath, keyPath) = ClusterCertificates.CaPaths(caDirectory.FullName);
        if (!File.Exists(certPath) || !File.Exists(keyPath))
            throw new CliException($"no CA in {caDirectory.FullName}: expected {ClusterCertificates.CaCertificateFile} and " +
                                   $"{ClusterCertificates.CaKeyFile} (run `pharos certs create-ca`).");
        if (output.Exists) throw new CliException($"{output.FullName} exists; remove it first.");
        var addresses = ipAddresses.Select(text =>
            IPAddress.TryParse(text, out var address) ? address : throw new CliException($"--ip '{text}' is not an IP address.")).ToList();

        using var caCertificate = ClusterCertificates.ReadCa(caDirectory.FullName);
        using var issued = ClusterCertificates.Issue(caCertificate, Escape(name), role, dnsNames, addresses, days);

        var passwordFile = output.FullName + ".password";
        password ??= Environment.GetEnvironmentVariable("PHAROS_TLS_CERT_PASSWORD");
        var generated = password is null;
        password ??= Secrets.NewToken();
        Directory.CreateDirectory(output.DirectoryName!);
        ClusterCertificates.WritePfx(issued, output.FullName, password);
        if (generated) Secrets.WritePrivate(passwordFile, System.Text.Encoding.ASCII.GetBytes(password));

        context.Output.WriteLine($"certificate  {output.FullName}   (PHAROS_TLS_CERT; CN={name}, role {role}, valid until {issued.NotAfter.ToUniversalTime():yyyy-MM-dd})");
        context.Output.WriteLine(generated
            ? $"password     {passwordFile}   (PHAROS_TLS_CERT_PASSWORD; mode 0600)"
            : "password     the one given (PHAROS_TLS_CERT_PASSWORD)");
        return 0;
    }

    // A name given on the command line must not smuggle more RDNs into the subject.
    private static string Escape(string value) =>
        value.Any(c => c is ',' or '+' or '=' or '"' or '\\' or '<' or '>' or ';' or '\n' or '\r')
            ? throw new CliException($"'{value}' holds characters a certificate name cannot take (, + = \" \\ < > ;).")
            : value;
}
