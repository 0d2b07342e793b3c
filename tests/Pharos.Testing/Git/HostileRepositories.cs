using System.Text;

namespace Pharos.Testing.Git;

/// <summary>
/// Repositories built to hurt whoever clones and parses them: what anyone with an ingest token can ask an edge to take.
/// Each is a real git repository under <see cref="GitRepositoryFixture.Root"/>, committed with the git CLI.
/// </summary>
public static class HostileRepositories
{
    /// <summary>A Python file of f-strings nested <paramref name="depth"/> deep (Python 3.12 allows the same quotes inside).</summary>
    public static string DeepFStrings(this GitRepositoryFixture repos, string name, int depth = 50_000) =>
        repos.Commit(name, ("deep.py", Nested(depth, "f\"{", "}\"") + "\n"), ("ok.py", "import deep\n"));

    /// <summary>A JavaScript file of template literals nested <paramref name="depth"/> deep.</summary>
    public static string DeepTemplates(this GitRepositoryFixture repos, string name, int depth = 50_000) =>
        repos.Commit(name, ("deep.js", "const x = " + Nested(depth, "`${", "}`") + ";\n"), ("ok.js", "import './deep.js';\n"));

    /// <summary>One line of about a megabyte (just under the scanner's per-file cap), full of imports and brackets.</summary>
    public static string OneMegabyteLine(this GitRepositoryFixture repos, string name)
    {
        var line = new StringBuilder();
        while (line.Length < 1_000_000) line.Append("import a; (((( [[ {{ ");
        return repos.Commit(name, ("long.py", line.ToString()), ("a.py", "import long\n"));
    }

    /// <summary><paramref name="files"/> C# files in one namespace, each using it: every file imports every other.</summary>
    public static string OneNamespace(this GitRepositoryFixture repos, string name, int files = 3_000) =>
        repos.Commit(name, [.. Enumerable.Range(0, files).Select(i =>
            ($"src/C{i}.cs", $"using Shared;\nnamespace Shared;\npublic class C{i} {{ }}\n"))]);

    /// <summary>
    /// Symbolic links by the thousand: to files outside the repository (<c>/etc/passwd</c>), to the parent directories,
    /// to each other in cycles, to directories, and dangling; one ordinary module among them.
    /// </summary>
    public static string SymlinkFarm(this GitRepositoryFixture repos, string name, int links = 1_000)
    {
        var dir = repos.Init(name);
        File.WriteAllText(Path.Combine(dir, "real.py"), "import os\n");
        Directory.CreateDirectory(Path.Combine(dir, "farm"));
        for (var i = 0; i < links; i++)
        {
            var target = (i % 5) switch
            {
                0 => "/etc/passwd",
                1 => "../../../../../../../../",
                2 => $"link{(i + 5) % links}.py",
                3 => "..",
                _ => $"missing{i}.py",
            };
            File.CreateSymbolicLink(Path.Combine(dir, "farm", $"link{i}.py"), target);
        }
        return CommitAll(dir, "a symlink farm");
    }

    /// <summary>
    /// A tree of <paramref name="entries"/> entries that all name one blob of <paramref name="blobBytes"/> bytes: a pack
    /// of a few MB that checks out as many files and as many bytes as asked. Built with git's plumbing, without a work tree.
    /// </summary>
    public static string WideTree(this GitRepositoryFixture repos, string name, int entries, int blobBytes = 16)
    {
        var dir = repos.Init(name);
        var content = new byte[blobBytes];
        new Random(7).NextBytes(content);
        var blob = GitCli.Run(dir, content, "hash-object", "-w", "--stdin");
        var index = new StringBuilder();
        for (var i = 0; i < entries; i++) index.Append($"100644 {blob}\td{i / 1000}/f{i % 1000}.py\n");
        GitCli.Run(dir, Encoding.UTF8.GetBytes(index.ToString()), "update-index", "--add", "--index-info");
        var tree = GitCli.Run(dir, "write-tree");
        var commit = GitCli.Run(dir, "commit-tree", tree, "-m", $"{entries} entries of one blob");
        GitCli.Run(dir, "update-ref", "HEAD", commit);
        // The work tree stays empty: the index names files that are not there, which git daemon does not care about.
        return dir;
    }

    private static string Nested(int depth, string open, string close)
    {
        var text = new StringBuilder(depth * (open.Length + close.Length) + 1);
        for (var i = 0; i < depth; i++) text.Append(open);
        text.Append('x');
        for (var i = 0; i < depth; i++) text.Append(close);
        return text.ToString();
    }

    private static string Commit(this GitRepositoryFixture repos, string name, params (string Path, string Content)[] files)
    {
        var dir = repos.Init(name);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(dir, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return CommitAll(dir, $"{files.Length} hostile files");
    }

    private static string Init(this GitRepositoryFixture repos, string name)
    {
        var dir = Path.Combine(repos.Root, name);
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q");
        return dir;
    }

    private static string CommitAll(string dir, string message)
    {
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "commit", "-q", "-m", message);
        return dir;
    }
}
