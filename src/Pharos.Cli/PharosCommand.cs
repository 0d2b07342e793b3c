using Pharos.Cli.Commands;

namespace Pharos.Cli;

/// <summary>The `pharos` command: its subcommands, and one way to run it that tests share with Program.</summary>
public static class PharosCommand
{
    /// <summary>Exit code of a run that failed: bad input, a refusal of the cloud, a job that did not complete.</summary>
    public const int ExitFailure = 1;

    /// <summary>Exit code of a command line that does not parse (unknown command or option, missing argument).</summary>
    public const int ExitUsage = 2;

    public const string Description = """
        Pharos: code repositories into structural embeddings.

        The remote commands talk to a Pharos cloud node: --url (or PHAROS_URL, default http://127.0.0.1:5080) and
        --token (or PHAROS_TOKEN, else ./data/admin-token when it exists).

        Exit codes: 0 success; 1 error (the cloud refused or could not be reached, a waited-for job did not
        complete, bad input); 2 usage (the command line does not parse).
        """;

    public static RootCommand Build()
    {
        var remote = new RemoteOptions();
        var root = new RootCommand(Description)
        {
            SubmitCommand.Build(remote),
            StatusCommand.Build(remote),
            JobCommands.Jobs(remote),
            JobCommands.Job(remote),
            JobCommands.Cancel(remote),
            RepoCommands.Repos(remote),
            RepoCommands.Similar(remote),
            RepoCommands.Embeddings(remote),
            ClusterCommand.Build(remote),
            TokenCommand.Build(),
            CertsCommand.Build(),
            ImportLegacyQueueCommand.Build(remote),
            GraphCommand.Build(),
            TrainCommand.Build(),
        };
        root.Options.Add(remote.Url);
        root.Options.Add(remote.Token);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        var parsed = Build().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line per problem and a pointer to the help, rather than the whole help under the errors.
            foreach (var problem in parsed.Errors) await error.WriteLineAsync($"pharos: {problem.Message}");
            var names = new List<string>();
            for (var r = parsed.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
                names.Insert(0, r.Parent is null ? "pharos" : r.Command.Name);
            var path = string.Join(' ', names);
            await error.WriteLineAsync($"Run '{path} --help' for usage.");
            return ExitUsage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }
}
