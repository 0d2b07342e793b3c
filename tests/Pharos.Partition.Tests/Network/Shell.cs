using System.Diagnostics;

namespace Pharos.Partition.Tests.Network;

/// <summary>Runs the network tools (ip, nft) and fails with what they wrote when they fail.</summary>
public static class Shell
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, string? input = null, bool check = true)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

    public static Task<string> IpAsync(params string[] args) => RunAsync("ip", args);

    /// <summary>nft inside a namespace, reading its script from stdin.</summary>
    public static Task<string> NftAsync(string ns, string script) => RunAsync("ip", ["netns", "exec", ns, "nft", "-f", "-"], script);

    public static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
        .Any(dir => File.Exists(Path.Combine(dir, command)));
}
