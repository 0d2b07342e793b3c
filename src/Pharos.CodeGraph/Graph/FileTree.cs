using System.Text;

namespace Pharos.CodeGraph.Graph;

/// <summary>Writes small file trees (tests, examples): repository-relative '/'-separated paths to contents.</summary>
internal static class FileTree
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void Write(string root, IEnumerable<KeyValuePair<string, string>> files)
    {
        foreach (var (path, text) in files) Write(root, path, Utf8NoBom.GetBytes(text));
    }

    public static void Write(string root, params (string Path, string Text)[] files)
    {
        foreach (var (path, text) in files) Write(root, path, Utf8NoBom.GetBytes(text));
    }

    public static void Write(string root, string path, byte[] bytes)
    {
        var full = Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
    }

    /// <summary>A fresh empty directory under the system temp directory.</summary>
    public static string CreateTempDirectory(string prefix = "pharos-graph-") =>
        Directory.CreateTempSubdirectory(prefix).FullName;
}
