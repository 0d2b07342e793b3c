using System.Text.Json.Serialization;

namespace Pharos.Cli.Commands;

/// <summary>The JSON every `--json` prints: snake_case, indented for people, one document per run.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static void Write(TextWriter output, object value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}

/// <summary>A failure the user can act on: printed as one line, exit code 1, no stack trace.</summary>
internal class CliException(string message) : Exception(message);

internal static class CliErrors
{
    /// <summary>Runs a command body, turning expected failures into one clear line on standard error.</summary>
    public static async Task<int> Guard(ParseResultContext context, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is CliException or IOException or UnauthorizedAccessException or FormatException or ArgumentException
                                       or Pharos.CodeGraph.Graph.RepositoryTooLargeException)
        {
            // An ArgumentException's message ends with "(Parameter 'x')", which names code, not the user's input.
            var message = e is ArgumentException { ParamName: { } name } argument
                ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
                : e.Message;
            await context.Error.WriteLineAsync($"pharos: {message}");
            return PharosCommand.ExitFailure;
        }
        catch (OperationCanceledException)
        {
            await context.Error.WriteLineAsync("pharos: cancelled");
            return 130;
        }
    }
}

/// <summary>Where a command writes: the invocation's writers, so that tests can read them.</summary>
internal sealed record ParseResultContext(TextWriter Output, TextWriter Error)
{
    /// <summary>True when the output is a terminal (progress is redrawn in place), false when redirected or captured.</summary>
    public bool Interactive => ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected;

    public static ParseResultContext From(System.CommandLine.ParseResult result) =>
        new(result.InvocationConfiguration.Output, result.InvocationConfiguration.Error);
}
