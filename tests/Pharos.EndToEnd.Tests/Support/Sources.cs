using System.Text;
using Pharos.Testing.Git;

namespace Pharos.EndToEnd.Tests.Support;

/// <summary>
/// Real repositories in a temporary root and the git servers that serve them: git daemon (git://) and smart HTTP
/// (git http-backend behind Kestrel). One per test class: creating the repository is the slow part.
/// </summary>
public sealed class GitSources : IAsyncDisposable
{
    public const string NetworkxPath = PythonSources.NetworkxPath;

    public GitRepositoryFixture Repositories { get; } = new();
    public GitDaemon? Daemon { get; private set; }
    public SmartHttpGitServer? Http { get; private set; }

    public static async Task<GitSources> StartAsync(bool daemon = true, bool http = true)
    {
        var sources = new GitSources();
        try
        {
            if (daemon) sources.Daemon = await GitDaemon.StartAsync(sources.Repositories.Root);
            if (http) sources.Http = await SmartHttpGitServer.StartAsync(sources.Repositories.Root);
        }
        catch
        {
            await sources.DisposeAsync();
            throw;
        }
        return sources;
    }

    /// <summary>
    /// A repository of real Python code: networkx (python3-networkx, which test.sh installs) without its tests,
    /// about 280 modules that import each other; a generated package of the same shape if it is missing.
    /// Returns the repository's directory; its name under the root is <paramref name="name"/>.
    /// </summary>
    public string CreateRealRepository(string name)
    {
        var dir = Path.Combine(Repositories.Root, name);
        Directory.CreateDirectory(dir);
        if (Directory.Exists(NetworkxPath)) PythonSources.CopyWithoutTests(NetworkxPath, Path.Combine(dir, "networkx"));
        else GenerateSyntheticPackage(dir, 200);
        Commit(dir, "real python code");
        return dir;
    }

    /// <summary>
    /// A generated Python package of <paramref name="modules"/> small modules, each importing three others (seeded, so
    /// the same every time) and os: a repository as large as a test needs. Returns its directory, named <paramref name="name"/>.
    /// </summary>
    public string CreateSyntheticRepository(string name, int modules)
    {
        var dir = Path.Combine(Repositories.Root, name);
        Directory.CreateDirectory(dir);
        GenerateSyntheticPackage(dir, modules);
        Commit(dir, $"{modules} generated python modules");
        return dir;
    }

    /// <summary>
    /// A small Python repository whose refs differ in content: <c>main</c> (three commits: <c>app/core.py</c> importing
    /// <c>app/util.py</c> and a few modules; then <c>app/tagged.py</c>, tagged <see cref="RefsRepository.Tag"/> (annotated);
    /// then <c>app/tagged.py</c> removed and <c>app/later.py</c> added) and a branch <c>feature</c> from the first commit
    /// that adds <c>app/feature.py</c>, importing core and util. Each ref's graph has a file no other ref has.
    /// </summary>
    public RefsRepository CreateRefsRepository(string name)
    {
        var dir = Path.Combine(Repositories.Root, name);
        Directory.CreateDirectory(dir);
        GitCli.Run(dir, "init", "-q"); // on main (GitCli's init.defaultBranch)
        void Write(string path, string text) => File.WriteAllText(Path.Combine(dir, path), text);
        void CommitAll(string message)
        {
            GitCli.Run(dir, "add", "-A");
            GitCli.Run(dir, "commit", "-q", "-m", message);
        }
        Directory.CreateDirectory(Path.Combine(dir, "app"));
        Write("app/__init__.py", "from app import core\n");
        Write("app/core.py", "from app import util\nfrom app import shapes\n\ndef run():\n    return util.twice(shapes.SIDES)\n");
        Write("app/util.py", "import os\n\ndef twice(x):\n    return 2 * x\n");
        Write("app/shapes.py", "from app import util\nSIDES = util.twice(2)\n");
        Write("app/cli.py", "from app import core\nfrom app import shapes\n\ndef main():\n    print(core.run(), shapes.SIDES)\n");
        CommitAll("core, util, shapes and cli");
        var first = GitRepositoryFixture.Head(dir);
        Write("app/tagged.py", "from app import core\nfrom app import cli\n");
        CommitAll("tagged: the release's extra module");
        var tagged = GitRepositoryFixture.Head(dir);
        GitCli.Run(dir, "tag", "-a", RefsRepository.Tag, "-m", "the release");
        File.Delete(Path.Combine(dir, "app", "tagged.py"));
        Write("app/later.py", "from app import util\n");
        CommitAll("later replaces tagged");
        var main = GitRepositoryFixture.Head(dir);
        GitCli.Run(dir, "checkout", "-q", "-b", RefsRepository.Branch, first);
        Write("app/feature.py", "from app import core\nfrom app import util\n\ndef feature():\n    return core.run() + util.twice(1)\n");
        CommitAll("feature: a module importing core and util");
        var feature = GitRepositoryFixture.Head(dir);
        GitCli.Run(dir, "checkout", "-q", "main");
        return new RefsRepository(dir, first, main, feature, tagged);
    }

    private static void Commit(string dir, string message)
    {
        GitCli.Run(dir, "init", "-q");
        GitCli.Run(dir, "add", "-A");
        GitCli.Run(dir, "commit", "-q", "-m", message);
    }

    private static void GenerateSyntheticPackage(string dir, int modules)
    {
        // mod000 .. mod199 for the small package; as many digits as the largest number for a larger one.
        var digits = "D" + Math.Max(3, (modules - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        string Module(int i) => "mod" + i.ToString(digits, System.Globalization.CultureInfo.InvariantCulture);
        var pkg = Path.Combine(dir, "synth");
        Directory.CreateDirectory(pkg);
        File.WriteAllText(Path.Combine(pkg, "__init__.py"), $"from synth import {Module(0)}\n");
        var random = new Random(42);
        for (var i = 0; i < modules; i++)
        {
            var text = new StringBuilder();
            for (var k = 0; k < 3; k++) text.AppendLine($"from synth import {Module(random.Next(modules))}");
            text.AppendLine("import os").AppendLine($"def f{i}(x):\n    return x + {i}\n");
            File.WriteAllText(Path.Combine(pkg, Module(i) + ".py"), text.ToString());
        }
    }

    public static string Head(string repository) => GitRepositoryFixture.Head(repository);

    public async ValueTask DisposeAsync()
    {
        if (Http is not null) await Http.DisposeAsync();
        Daemon?.Dispose();
        Repositories.Dispose();
    }
}

/// <summary>
/// What <see cref="GitSources.CreateRefsRepository"/> made: its directory and the commit of each ref. The module only
/// each ref has: <see cref="FeatureFile"/> (the branch), <see cref="TagFile"/> (the tag), <see cref="MainFile"/> (main).
/// </summary>
public sealed record RefsRepository(string Directory, string FirstSha, string MainSha, string FeatureSha, string TagSha)
{
    public const string Branch = "feature";
    public const string Tag = "v1.0";
    public const string FeatureFile = "app/feature.py";
    public const string TagFile = "app/tagged.py";
    public const string MainFile = "app/later.py";
}
