namespace Pharos.Testing.Git;

/// <summary>Real Python code on this machine, for repositories that tests serve.</summary>
public static class PythonSources
{
    /// <summary>networkx from Debian's python3-networkx (test.sh installs it): about 280 modules of real Python.</summary>
    public const string NetworkxPath = "/usr/lib/python3/dist-packages/networkx";

    /// <summary>Copies the <c>.py</c> files of a package tree, without its <c>tests</c> and <c>__pycache__</c> directories.</summary>
    public static void CopyWithoutTests(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*.py"))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from))
        {
            var leaf = Path.GetFileName(sub);
            if (leaf is "tests" or "__pycache__") continue;
            CopyWithoutTests(sub, Path.Combine(to, leaf));
        }
    }
}
