using System.Diagnostics;

namespace Pharos.EndToEnd.Tests.Support;

/// <summary>The `pharos` command of this build, run as an operator runs it, with none of the test host's PHAROS_* variables.</summary>
public static class PharosCli
{
    /// <summary>Longer output goes to the test output as its length only (a graph document is hundreds of KB).</summary>
    private const int EchoedChars = 4_000;

    /// <summary>Runs `pharos ARGUMENTS`; an exit code other than 0 fails the test with its error output. Returns its standard output.</summary>
    public static async Task<string> RunAsync(ITestOutputHelper output, params string[] arguments)
    {
        var psi = new ProcessStartInfo(NodeBinaries.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(NodeBinaries.Dll("Pharos.Cli", "pharos"));
        foreach (var argument in arguments) psi.ArgumentList.Add(argument);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("PHAROS_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(key);
        using var process = Process.Start(psi)!;
        var (stdout, stderr) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        var (text, errors) = (await stdout, await stderr);
        output.WriteLine($"pharos {string.Join(' ', arguments)}\n{(text.Length <= EchoedChars ? text : $"({text.Length} characters)\n")}{errors}");
        Assert.True(process.ExitCode == 0, $"pharos {string.Join(' ', arguments)} exited {process.ExitCode}: {errors}");
        return text;
    }
}
