namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// Python imports (<see cref="PythonImportParser"/>), resolved to modules of the repository.
/// <list type="bullet">
/// <item>Absolute names are looked up under the repository root and under <c>src/</c> and <c>lib/</c> when such a
/// directory is not itself a package but holds Python files (the "src layout").</item>
/// <item><c>import a.b.c</c> goes to the deepest module that exists: <c>a/b/c.py</c> or <c>a/b/c/__init__.py</c>,
/// else <c>a/b</c>'s, else <c>a</c>'s.</item>
/// <item><c>from p import n</c> goes to the submodule <c>p/n</c> when it exists, else to <c>p</c>'s own module.</item>
/// <item>Relative imports start from the importing file's directory (its package), one level up per extra dot.</item>
/// <item>Directories without <c>__init__.py</c> are namespace packages: their modules resolve through them, and
/// importing the namespace itself names something in the repository without making an edge.</item>
/// </list>
/// Each target module of a statement that names nothing in the repository counts once as unresolved:
/// <c>import os, sys</c> is two, <c>from os import path, sep</c> is one.
/// </summary>
public sealed class PythonAnalyzer : ILanguageAnalyzer
{
    private static readonly string[] ModuleSuffixes = [".py", ".pyi", "/__init__.py", "/__init__.pyi"];

    /// <summary>Top-level directories that may be source roots (when not packages themselves).</summary>
    public static readonly IReadOnlyList<string> SourceRootCandidates = ["src", "lib"];

    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(StringComparer.Ordinal) { LanguageNames.Python };

    public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(repository);
        var roots = SourceRoots(repository);
        var results = new FileImports[files.Count];
        Parallel.For(0, files.Count, i => results[i] = AnalyzeFile(files[i], repository, roots));
        return results;
    }

    /// <summary>"" (the repository root), then each qualifying <see cref="SourceRootCandidates"/> entry.</summary>
    internal static IReadOnlyList<string> SourceRoots(RepositoryIndex repository)
    {
        var roots = new List<string> { "" };
        foreach (var candidate in SourceRootCandidates)
        {
            if (!repository.DirectoryExists(candidate)) continue;
            if (repository.Exists(candidate + "/__init__.py") || repository.Exists(candidate + "/__init__.pyi")) continue;
            var prefix = candidate + "/";
            if (repository.Paths.Any(p => p.StartsWith(prefix, StringComparison.Ordinal) && IsPythonPath(p))) roots.Add(candidate);
        }
        return roots;
    }

    private static bool IsPythonPath(string path) =>
        path.EndsWith(".py", StringComparison.Ordinal) || path.EndsWith(".pyi", StringComparison.Ordinal);

    internal static FileImports AnalyzeFile(SourceFile file, RepositoryIndex repository, IReadOnlyList<string> roots)
    {
        var resolved = new HashSet<string>(StringComparer.Ordinal);
        var unresolved = 0;
        foreach (var import in PythonImportParser.Parse(file.Text))
        {
            if (!Resolve(import, file.Path, repository, roots, resolved)) unresolved++;
        }
        resolved.Remove(file.Path);
        return new FileImports(file.Path, resolved.Order(StringComparer.Ordinal).ToList(), unresolved);
    }

    /// <summary>Adds the files <paramref name="import"/> reaches to <paramref name="into"/>; false when it names
    /// nothing in the repository.</summary>
    internal static bool Resolve(PythonImport import, string importer, RepositoryIndex repository, IReadOnlyList<string> roots, ISet<string> into)
    {
        var modulePath = import.Module.Replace('.', '/');
        if (import.Level == 0) modulePath = WithinRootPackage(modulePath, repository);
        if (!import.IsFrom) return ResolvePlain(modulePath, repository, roots, into);

        string package;
        if (import.Level > 0)
        {
            var slash = importer.LastIndexOf('/');
            package = slash < 0 ? "" : importer[..slash];
            for (var up = 1; up < import.Level; up++)
            {
                if (package.Length == 0) return false; // above the repository root
                slash = package.LastIndexOf('/');
                package = slash < 0 ? "" : package[..slash];
            }
            package = Join(package, modulePath);
            if (ModuleFile(package, repository) is null && !repository.DirectoryExists(package)) return false;
        }
        else
        {
            package = "";
            var found = false;
            foreach (var root in roots)
            {
                package = Join(root, modulePath);
                if (ModuleFile(package, repository) is not null || repository.DirectoryExists(package))
                {
                    found = true;
                    break;
                }
            }
            if (!found) return false;
        }

        var needPackageModule = false;
        foreach (var name in import.Names!)
        {
            var submodule = name == "*" ? null : ModuleFile(Join(package, name), repository);
            if (submodule is not null) into.Add(submodule);
            else needPackageModule = true;
        }
        if (needPackageModule && ModuleFile(package, repository) is { } own) into.Add(own);
        return true;
    }

    /// <summary>
    /// A repository whose root is itself a package (a directory such as dist-packages/pygments) imports its own
    /// modules as pygments.x: those names are read against the root.
    /// </summary>
    private static string WithinRootPackage(string modulePath, RepositoryIndex repository)
    {
        if (repository.RootName is not { Length: > 0 } name || !repository.Exists("__init__.py")) return modulePath;
        if (modulePath == name) return "";
        return modulePath.StartsWith(name + "/", StringComparison.Ordinal) ? modulePath[(name.Length + 1)..] : modulePath;
    }

    // import a.b.c: the deepest existing module, over all roots (the first root wins a tie).
    private static bool ResolvePlain(string modulePath, RepositoryIndex repository, IReadOnlyList<string> roots, ISet<string> into)
    {
        var parts = modulePath.Split('/');
        string? best = null;
        var bestDepth = 0;
        var namespaceFound = false;
        foreach (var root in roots)
        {
            for (var depth = parts.Length; depth > bestDepth; depth--)
            {
                if (ModuleFile(Join(root, string.Join('/', parts, 0, depth)), repository) is { } file)
                {
                    best = file;
                    bestDepth = depth;
                    break;
                }
            }
            if (!namespaceFound && repository.DirectoryExists(Join(root, modulePath))) namespaceFound = true;
        }
        if (best is not null)
        {
            into.Add(best);
            return true;
        }
        return namespaceFound;
    }

    /// <summary>The file of module <paramref name="path"/> ('/'-separated, no suffix): <c>path.py</c>,
    /// <c>path.pyi</c>, <c>path/__init__.py</c> or <c>path/__init__.pyi</c>.</summary>
    internal static string? ModuleFile(string path, RepositoryIndex repository)
    {
        if (path.Length == 0) return repository.Exists("__init__.py") ? "__init__.py" : null;
        foreach (var suffix in ModuleSuffixes)
        {
            var candidate = path + suffix;
            if (repository.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string Join(string directory, string relative) =>
        directory.Length == 0 ? relative : relative.Length == 0 ? directory : directory + "/" + relative;
}
