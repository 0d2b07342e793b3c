using System.CommandLine;
using Pharos.Cli.Commands;

namespace Pharos.Cli;

/// <summary>The `pharos` command: its subcommands, and one way to run it that tests share with Program.</summary>
public static class PharosCommand
{
    /// <summary>Exit code of a run that failed on its input (unreadable file, missing directory).</summary>
    public const int ExitFailure = 1;

    public static RootCommand Build() => new("Pharos: code repositories into structural embeddings.")
    {
        GraphCommand.Build(),
        TrainCommand.Build(),
    };

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default) =>
        Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
}
