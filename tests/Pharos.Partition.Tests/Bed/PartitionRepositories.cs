using Pharos.Testing.Git;

namespace Pharos.Partition.Tests.Bed;

/// <summary>The scenarios' collection: one after another, sharing <see cref="PartitionRepositories"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PartitionCollection : ICollectionFixture<PartitionRepositories>
{
    public const string Name = "Partition";
}

/// <summary>
/// The repositories every scenario's git server serves, made once for the collection (about 130 git commands: on a
/// loaded machine, seconds each scenario would spend before its first node starts). Read only: the servers only
/// serve them. Made on first use, so a run whose scenarios all skip makes none.
/// </summary>
public sealed class PartitionRepositories : IDisposable
{
    private readonly Lazy<Task<string>> _root = new(() => Task.Run(Create));

    /// <summary>The directory holding <see cref="PartitionBed.WorkRepository"/> and <see cref="PartitionBed.BigRepository"/>.</summary>
    public Task<string> RootAsync => _root.Value;

    private static string Create()
    {
        var root = TempDirectories.Create("pharos-partition-git-");
        var work = Path.Combine(root, PartitionBed.WorkRepository);
        Directory.CreateDirectory(Path.Combine(work, "app"));
        GitCli.Run(work, "init", "-q");
        for (var i = 0; i < 20; i++)
            File.WriteAllText(Path.Combine(work, "app", $"m{i:D2}.py"),
                $"from app import m{(i + 1) % 20:D2}\nfrom app import m{(i + 7) % 20:D2}\nimport os\n\ndef f{i}(x):\n    return x + {i}\n");
        File.WriteAllText(Path.Combine(work, "app", "__init__.py"), "from app import m00\n");
        GitCli.Run(work, "add", "-A");
        GitCli.Run(work, "commit", "-q", "-m", "twenty modules");
        for (var b = 0; b < PartitionBed.WorkBranches; b++)
        {
            GitCli.Run(work, "checkout", "-q", "-b", PartitionBed.Branch(b), "main");
            File.WriteAllText(Path.Combine(work, "app", $"branch{b:D2}.py"), $"from app import m{b % 20:D2}\n");
            GitCli.Run(work, "add", "-A");
            GitCli.Run(work, "commit", "-q", "-m", $"branch {b}");
        }
        GitCli.Run(work, "checkout", "-q", "main");

        var big = Path.Combine(root, PartitionBed.BigRepository);
        PythonSources.CopyWithoutTests(PythonSources.NetworkxPath, Path.Combine(big, "networkx"));
        GitCli.Run(big, "init", "-q");
        GitCli.Run(big, "add", "-A");
        GitCli.Run(big, "commit", "-q", "-m", "networkx");
        return root;
    }

    public void Dispose()
    {
        if (_root.IsValueCreated && _root.Value.IsCompletedSuccessfully) TempDirectories.Delete(_root.Value.Result);
    }
}
