using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Pharos.CodeGraph.Tests.Graph;

/// <summary>
/// Generated Python repositories: a random package tree, and in each file random imports of other modules written
/// in random valid forms, mixed with look-alikes in comments and strings. The builder must find exactly the real ones.
/// </summary>
public sealed class PythonGraphProperties
{
    /// <summary>A module of the generated tree: its package directory ("" at the root), its name and its file.</summary>
    private sealed record Module(string Package, string Name, string File)
    {
        public bool IsPackage => File.EndsWith("/__init__.py", StringComparison.Ordinal);

        /// <summary>The dotted name.</summary>
        public string Dotted => (Package.Length == 0 ? Name : Package + "/" + Name).Replace('/', '.');

        /// <summary>The directory whose file this is ("" for root modules).</summary>
        public string Directory => File.Contains('/') ? File[..File.LastIndexOf('/')] : "";
    }

    private sealed record GeneratedRepository(IReadOnlyDictionary<string, string> Files, IReadOnlySet<string> Edges)
    {
        public override string ToString() =>
            string.Join("\n", Files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"--- {f.Key}\n{f.Value}"));
    }

    private static readonly Arbitrary<GeneratedRepository> Repositories =
        (from seed in Gen.Choose(0, int.MaxValue - 1)
         from packages in Gen.Choose(0, 5)
         from modules in Gen.Choose(1, 8)
         from imports in Gen.Choose(0, 5)
         select Generate(new Random(seed), packages, modules, imports)).ToArbitrary();

    [Property(MaxTest = 150)]
    public Property Builder_finds_exactly_the_generated_edges() =>
        Prop.ForAll(Repositories, repository =>
        {
            var root = FileTree.CreateTempDirectory();
            try
            {
                FileTree.Write(root, repository.Files);
                var graph = ImportGraphBuilder.Build(root, [new PythonAnalyzer()]);
                var found = GraphAssert.Edges(graph).ToHashSet();
                var nodesOk = graph.Nodes.SequenceEqual(repository.Files.Keys.Order(StringComparer.Ordinal));
                if (!found.SetEquals(repository.Edges) || !nodesOk || graph.UnresolvedTotal != 0)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"expected edges:\n  {string.Join("\n  ", repository.Edges.Order(StringComparer.Ordinal))}\n" +
                        $"found:\n  {string.Join("\n  ", found.Order(StringComparer.Ordinal))}\n" +
                        $"unresolved: {graph.UnresolvedTotal}\nrepository:\n{repository}");
                }
                return true;
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        });

    private static GeneratedRepository Generate(Random random, int packageCount, int moduleCount, int maxImports)
    {
        // Packages: each at the root or inside an earlier one. Names are unique across the tree.
        var packageDirs = new List<string>();
        for (var i = 0; i < packageCount; i++)
        {
            var parent = packageDirs.Count == 0 || random.Next(3) == 0 ? "" : packageDirs[random.Next(packageDirs.Count)];
            packageDirs.Add(parent.Length == 0 ? $"p{i}" : $"{parent}/p{i}");
        }
        var modules = new List<Module>();
        foreach (var dir in packageDirs)
        {
            var slash = dir.LastIndexOf('/');
            modules.Add(new Module(slash < 0 ? "" : dir[..slash], dir[(slash + 1)..], dir + "/__init__.py"));
        }
        for (var j = 0; j < moduleCount; j++)
        {
            var package = packageDirs.Count == 0 || random.Next(4) == 0 ? "" : packageDirs[random.Next(packageDirs.Count)];
            var name = $"m{j}";
            modules.Add(new Module(package, name, package.Length == 0 ? name + ".py" : $"{package}/{name}.py"));
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var edges = new HashSet<string>(StringComparer.Ordinal);
        foreach (var importer in modules)
        {
            var text = new StringBuilder();
            if (random.Next(2) == 0) text.Append("\"\"\"Module docstring.\n\nimport ").Append(Pick(random, modules).Dotted).Append("\n\"\"\"\n");
            var count = random.Next(maxImports + 1);
            for (var k = 0; k < count; k++)
            {
                var target = Pick(random, modules);
                text.Append(Statement(random, importer, target, k));
                if (target.File != importer.File) edges.Add($"{importer.File} -> {target.File}");
                if (random.Next(3) == 0) text.Append(LookAlike(random, Pick(random, modules), k));
            }
            files[importer.File] = text.ToString();
        }
        return new GeneratedRepository(files, edges);
    }

    private static Module Pick(Random random, List<Module> modules) => modules[random.Next(modules.Count)];

    /// <summary>A statement importing exactly <paramref name="target"/>'s file, in a random form.</summary>
    private static string Statement(Random random, Module importer, Module target, int k)
    {
        var hasParent = target.Package.Length > 0;
        var form = random.Next(10);
        if (!hasParent && form is 2 or 3 or 6) form = 0; // 'from <parent> import name' needs a parent package
        return form switch
        {
            0 => $"import {target.Dotted}\n",
            1 => $"import {target.Dotted} as alias{k}, os\n".Replace(", os", random.Next(2) == 0 ? "" : $", {target.Dotted}"),
            2 => $"from {Dotted(target.Package)} import {target.Name}\n",
            3 => $"from {Dotted(target.Package)} import (\n    {target.Name} as alias{k},  # a comment\n\n    {target.Name},\n)\n",
            4 => $"from {target.Dotted} import not_a_module{k}, other{k} as o{k}\n",
            5 => $"from {Relative(importer.Directory, target.Package)} import {target.Name}\n",
            6 => $"from {Dotted(target.Package)} \\\n    import {target.Name}\n",
            7 => random.Next(3) switch
            {
                0 => $"if True:\n    import {target.Dotted}\nelse:\n    pass\n",
                1 => $"try:\n    from {target.Dotted} import name{k}\nexcept ImportError:\n    name{k} = None\n",
                _ => $"def f{k}():\n    '''import os'''\n    import {target.Dotted}\n    return 0\n",
            },
            8 => $"x{k} = 1; import {target.Dotted}\n",
            _ => $"class C{k}:\n    from {target.Dotted} import * ; y = 'import os'\n",
        };
    }

    /// <summary>Text that mentions importing <paramref name="module"/> without importing it.</summary>
    private static string LookAlike(Random random, Module module, int k) => random.Next(6) switch
    {
        0 => $"# import {module.Dotted}\n",
        1 => $"s{k} = 'import {module.Dotted}'\n",
        2 => $"s{k} = \"\"\"\nfrom {module.Dotted} import x\n\"\"\"\n",
        3 => $"s{k} = f\"{{s{k - 1 + 1}!r}} import {module.Dotted}\" if False else r'\\' import {module.Dotted}'\n",
        4 => $"s{k} = (\n    'a'  # import {module.Dotted}\n    b'import {module.Dotted}'\n)\n",
        _ => $"important{k} = from_{k} = 0\n",
    };

    private static string Dotted(string directory) => directory.Replace('/', '.');

    /// <summary>The relative module reference from a file in <paramref name="from"/> to the package directory
    /// <paramref name="to"/>: one dot for the importer's own package, one more per level up, then the rest.</summary>
    private static string Relative(string from, string to)
    {
        var fromParts = from.Length == 0 ? [] : from.Split('/');
        var toParts = to.Length == 0 ? [] : to.Split('/');
        var common = 0;
        while (common < fromParts.Length && common < toParts.Length && fromParts[common] == toParts[common]) common++;
        var dots = new string('.', 1 + fromParts.Length - common);
        return dots + string.Join('.', toParts.Skip(common));
    }
}
