using System.Diagnostics;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Results;

namespace Pharos.Cli.Commands;

/// <summary>`pharos graph DIR [--json]`: the import graph of a checked-out repository.</summary>
internal static class GraphCommand
{
    // The limits an edge uses by default: what `pharos graph` shows is what an edge would make.
    private static readonly AnalysisLimits Limits = AnalysisLimits.Default;

    public static Command Build()
    {
        var directory = new Argument<DirectoryInfo>("DIR") { Description = "The repository's directory." };
        var json = new Option<bool>("--json") { Description = "Print nodes, edges, unresolved imports and counts as JSON." };
        var command = new Command("graph", "Build the import graph of a repository and print its counts by language.")
        {
            directory, json,
        };
        command.SetAction((result, ct) =>
        {
            var context = ParseResultContext.From(result);
            return CliErrors.Guard(context, () => Task.FromResult(Run(result.GetValue(directory)!, result.GetValue(json), context, ct)));
        });
        return command;
    }

    private static int Run(DirectoryInfo directory, bool json, ParseResultContext context, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var graph = Load(directory, ct);
        var seconds = clock.Elapsed.TotalSeconds;

        if (json)
        {
            CliJson.Write(context.Output, GraphDocument.Of(graph, TimeSpan.FromSeconds(seconds)));
            return 0;
        }

        var output = context.Output;
        output.WriteLine($"{directory.FullName}");
        output.WriteLine($"  files     {graph.Nodes.Count,8}   ({FilesPerSecond(graph.Nodes.Count, seconds)} files/s)");
        foreach (var (language, count) in graph.FilesByLanguage.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine($"    {language,-12}{count,8}");
        output.WriteLine($"  edges     {graph.Edges.Count,8}   resolved imports between files");
        output.WriteLine($"  unresolved{graph.UnresolvedTotal,8}   imports of the standard library or packages");
        if (graph.WideImports > 0)
            output.WriteLine($"  wide      {graph.WideImports,8}   imports of a namespace or package of more than {Limits.MaxImportFanOut} files, no edges");
        if (graph.SkippedFiles > 0)
        {
            output.WriteLine($"  skipped   {graph.SkippedFiles,8}   files that could not be read");
            foreach (var warning in graph.Warnings.Take(10)) context.Error.WriteLine($"pharos: warning: {warning}");
        }
        return 0;
    }

    /// <summary>Builds the graph; a missing directory is the scanner's DirectoryNotFoundException, shown as one line.</summary>
    internal static ImportGraph Load(DirectoryInfo directory, CancellationToken ct) =>
        ImportGraphBuilder.Build(directory.FullName, Limits, ct);

    private static string FilesPerSecond(int files, double seconds) =>
        seconds <= 0 ? "-" : Math.Round(files / seconds).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
}
