namespace Pharos.Cli.Tests;

/// <summary>Runs the pharos command in process with its output captured, as a terminal would see it.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await PharosCommand.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    public static string TempDirectory() => Directory.CreateTempSubdirectory("pharos-cli-").FullName;

    public static void Write(string root, params (string Path, string Text)[] files)
    {
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
    }
}
