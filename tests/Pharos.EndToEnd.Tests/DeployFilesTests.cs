using System.Globalization;
using System.Text.RegularExpressions;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// The systemd units of deploy/systemd, read by systemd's own tools (Debian's `systemd` package): every key known, and
/// the confinement the deployment page promises.
/// </summary>
public sealed class DeployFilesTests
{
    private static readonly string Units = Path.Combine(Pharos.Testing.Nodes.NodeBinaries.RepositoryRoot, "deploy", "systemd");

    [Theory]
    [InlineData("pharos-cloud.service", "cloud", "Pharos.CloudNode")]
    [InlineData("pharos-edge.service", "edge", "Pharos.EdgeNode")]
    public async Task Each_unit_is_valid_to_systemd_runs_its_published_node_and_confines_it(string unit, string role, string executable)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(Units, unit));
        var keys = Regex.Matches(text, @"^(\w+)=(.*)$", RegexOptions.Multiline).Select(m => (Key: m.Groups[1].Value, Value: m.Groups[2].Value)).ToList();
        string One(string key) => Assert.Single(keys, k => k.Key == key).Value;

        Assert.Equal($"/opt/pharos/{role}/{executable}", One("ExecStart"));
        Assert.Equal("notify", One("Type"));
        Assert.Equal("on-failure", One("Restart"));
        Assert.Equal("2", One("RestartPreventExitStatus"));
        Assert.Equal($"/etc/pharos/{role}.env", One("EnvironmentFile"));
        Assert.Equal($"pharos/{role}", One("StateDirectory"));
        Assert.Equal($"PHAROS_DATA_DIR=/var/lib/pharos/{role}", One("Environment"));
        // The data directory is the one place it may write.
        Assert.Equal("strict", One("ProtectSystem"));
        Assert.Equal($"/var/lib/pharos/{role}", One("ReadWritePaths"));
        foreach (var flag in new[] { "NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictSUIDSGID" })
            Assert.Equal("yes", One(flag));
        Assert.Equal("", One("CapabilityBoundingSet"));
        Assert.DoesNotContain(keys, k => k.Key == "MemoryDenyWriteExecute"); // .NET writes the code it compiles

        // systemd's checks need the executable to exist: the same unit, run by /bin/true.
        var dir = Directory.CreateTempSubdirectory("pharos-unit-").FullName;
        try
        {
            var copy = Path.Combine(dir, unit);
            await File.WriteAllTextAsync(copy, text.Replace($"ExecStart=/opt/pharos/{role}/{executable}", "ExecStart=/bin/true", StringComparison.Ordinal));
            var (verify, verifyOut) = await Commands.RunAsync("systemd-analyze", "verify", copy);
            Assert.True(verify == 0 && verifyOut.Length == 0, $"systemd-analyze verify {unit} ({verify}): {verifyOut}");
            var (security, securityOut) = await Commands.RunAsync("systemd-analyze", "security", "--offline=yes", "--no-pager", copy);
            Assert.True(security == 0, $"systemd-analyze security {unit} ({security}): {securityOut}");
            var exposure = double.Parse(Regex.Match(securityOut, @"Overall exposure level for \S+: (\d+\.\d)").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(exposure <= 3.0, $"{unit}: exposure {exposure} (systemd's scale: 0 confined … 10 exposed)\n{securityOut}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
