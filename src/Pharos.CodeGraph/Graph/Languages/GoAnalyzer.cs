using System.Text;

namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// Go imports. Every import spec (<c>import "x"</c>, <c>import alias "x"</c>, <c>import _ "x"</c>,
/// <c>import . "x"</c>, grouped <c>import ( ... )</c>, raw-string paths) counts once, test files included.
/// <para>
/// Resolution: each file belongs to the nearest <c>go.mod</c> above it. An import path is matched against the
/// module paths of every <c>go.mod</c> of the repository (longest module path first, so nested modules and sibling
/// modules of a multi-module repository resolve); <c>module/sub/pkg</c> names the directory <c>sub/pkg</c> of that
/// module, which must still belong to that module (not to a module nested deeper). A Go import names a package, not
/// a file, so the import becomes an edge to <b>each non-test .go file directly in that directory</b>. When that
/// fails, <c>vendor/&lt;path&gt;</c> of the importing file's module is tried. The module <c>std</c> (the Go
/// source tree itself) takes the import paths whose first element has no dot. Relative imports (<c>./x</c>,
/// <c>../x</c>, legal only without modules) resolve against the importing file's directory. Anything else — the
/// standard library, other modules, <c>"C"</c>, a directory without non-test files — is one unresolved import.
/// A package of more than <see cref="AnalysisLimits.MaxImportFanOut"/> non-test files makes no edge: its import counts
/// as one wide import.
/// </para>
/// </summary>
public sealed class GoAnalyzer(AnalysisLimits limits) : ILanguageAnalyzer
{
    private const string GoModFile = "go.mod";

    public GoAnalyzer() : this(AnalysisLimits.Default) { }

    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(StringComparer.Ordinal) { LanguageNames.Go };

    public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
    {
        var packages = LexerText.ByDirectory(files.Select(f => f.Path)
            .Where(p => p.EndsWith(".go", StringComparison.Ordinal) && !p.EndsWith("_test.go", StringComparison.Ordinal)));
        var modules = new ModuleIndex(FindModules(repository), packages.Keys);

        var budget = new EdgeBudget(limits);
        var result = new List<FileImports>(files.Count);
        foreach (var file in files)
        {
            var directory = LexerText.DirectoryOf(file.Path);
            var ownModule = modules.Nearest(directory);
            var resolved = new HashSet<string>(StringComparer.Ordinal);
            var unresolved = 0;
            var wide = 0;
            foreach (var importPath in Imports(file.Text))
            {
                var packageDirectory = Resolve(importPath, directory, ownModule, modules, packages);
                if (packageDirectory is null || !packages.TryGetValue(packageDirectory, out var packageFiles)) unresolved++;
                else if (packageFiles.Count > limits.MaxImportFanOut) wide++;
                else resolved.UnionWith(packageFiles);
            }
            resolved.Remove(file.Path);
            budget.Spend(resolved.Count);
            result.Add(new FileImports(file.Path, resolved, unresolved, wide));
        }
        LastResolveSteps = modules.Steps;
        return result;
    }

    /// <summary>Steps (characters and tokens read) the last <see cref="Tokenize"/> or <see cref="Imports"/> on this
    /// thread took: linear in the text, by construction; the properties check it.</summary>
    [ThreadStatic] internal static long LastScanSteps;

    /// <summary>Characters and segments the last <see cref="Analyze"/> on this thread read looking for the go.mod above
    /// each file and each import's module and package.</summary>
    [ThreadStatic] internal static long LastResolveSteps;

    /// <summary>The import paths of a Go source, in order, one per import spec.</summary>
    internal static IReadOnlyList<string> Imports(string text)
    {
        var tokens = Tokenize(text);
        var steps = LastScanSteps;
        var imports = new List<string>();
        for (var k = 0; k < tokens.Count; k++)
        {
            steps++;
            if (!tokens[k].IsIdentifier("import")) continue;
            var j = k + 1;
            if (j < tokens.Count && tokens[j].IsPunctuation('('))
            {
                for (j++; j < tokens.Count && !tokens[j].IsPunctuation(')'); j++)
                {
                    steps++;
                    if (tokens[j].Kind == TokenKind.String) imports.Add(tokens[j].Text);
                }
            }
            else
            {
                // An optional package name: an identifier (including "_") or ".".
                if (j < tokens.Count && (tokens[j].Kind == TokenKind.Identifier || tokens[j].IsPunctuation('.'))) j++;
                if (j < tokens.Count && tokens[j].Kind == TokenKind.String) imports.Add(tokens[j].Text);
            }
            k = Math.Max(k, j - 1);
        }
        LastScanSteps = steps;
        return imports;
    }

    /// <summary>Tokens of a Go source: comments dropped; interpreted ("…") and raw (`…`) strings become
    /// <see cref="TokenKind.String"/>; rune literals become <see cref="TokenKind.Other"/>.</summary>
    internal static List<SourceToken> Tokenize(string text)
    {
        var tokens = new List<SourceToken>();
        var i = 0;
        long steps = 0;
        while (i < text.Length)
        {
            steps++;
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (char.IsWhiteSpace(c)) i++;
            else if (c == '/' && next == '/') i = LexerText.Counted(ref steps, i, LexerText.SkipLineComment(text, i));
            else if (c == '/' && next == '*') i = LexerText.Counted(ref steps, i, LexerText.SkipBlockComment(text, i));
            else if (c == '"')
            {
                var content = new StringBuilder();
                i = LexerText.Counted(ref steps, i, LexerText.SkipEscapedLiteral(text, i, '"', content));
                tokens.Add(new SourceToken(TokenKind.String, content.ToString()));
            }
            else if (c == '`')
            {
                var end = text.IndexOf('`', i + 1);
                var stop = end < 0 ? text.Length : end;
                tokens.Add(new SourceToken(TokenKind.String, text[(i + 1)..stop]));
                i = LexerText.Counted(ref steps, i, end < 0 ? text.Length : end + 1);
            }
            else if (c == '\'')
            {
                i = LexerText.Counted(ref steps, i, LexerText.SkipEscapedLiteral(text, i, '\'', null));
                tokens.Add(new SourceToken(TokenKind.Other, "'"));
            }
            else
            {
                i = LexerText.Counted(ref steps, i, LexerText.AddPlainToken(text, i, tokens));
            }
        }
        LastScanSteps = steps;
        return tokens;
    }

    /// <summary>The module path a go.mod declares (<c>module x</c>, possibly quoted), or null.</summary>
    internal static string? ModulePath(string goMod)
    {
        foreach (var rawLine in goMod.Split('\n'))
        {
            var line = rawLine;
            var comment = line.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0) line = line[..comment];
            line = line.Trim();
            if (!line.StartsWith("module", StringComparison.Ordinal) || line.Length == "module".Length) continue;
            var rest = line["module".Length..];
            if (!char.IsWhiteSpace(rest[0]) && rest[0] != '"' && rest[0] != '`') continue;
            var path = rest.Trim().Trim('"', '`').Trim();
            return path.Length == 0 ? null : path;
        }
        return null;
    }

    private sealed record Module(string Directory, string? Path);

    private static List<Module> FindModules(RepositoryIndex repository) =>
        repository.Paths
            .Where(p => p == GoModFile || p.EndsWith("/" + GoModFile, StringComparison.Ordinal))
            .Select(p => new Module(LexerText.DirectoryOf(p), repository.TextOf(p) is { } text ? ModulePath(text) : null))
            .OrderBy(m => m.Directory, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The repository's go.mod files, looked up by module path and, for the modules named "std", by the import paths
    /// of the packages they hold: an import costs the same however many go.mod files a repository has.
    /// </summary>
    private sealed class ModuleIndex
    {
        private readonly HashSet<string> _directories;
        /// <summary>The longest directory holding a go.mod: a longer one holds none, so a long path is climbed without
        /// making (and hashing) a name for each of its levels.</summary>
        private readonly int _longestDirectory;
        /// <summary>Per module path: the first module of that path (by directory) and the directories of all of them.</summary>
        private readonly Dictionary<string, (Module First, HashSet<string> Directories)> _byPath = new(StringComparer.Ordinal);
        /// <summary>Per import path (relative to its "std" module): the package directory of the first such module.</summary>
        private readonly Dictionary<string, (string Module, string Package)> _standard = new(StringComparer.Ordinal);
        /// <summary>The module paths as a tree of their segments: an import path is matched by walking down it once, not
        /// by cutting out and hashing every shorter prefix (a module path comes from a go.mod, so it may be as long as
        /// the import path).</summary>
        private readonly PathNode _paths = new();

        private sealed class PathNode
        {
            public Dictionary<string, PathNode>? Children { get; set; }
            public (Module First, HashSet<string> Directories)? Modules { get; set; }
        }

        /// <summary>Characters and segments read (skipped over, split or hashed) looking up directories and import paths.</summary>
        public long Steps { get; private set; }

        /// <param name="modules">Ordered by directory.</param>
        public ModuleIndex(List<Module> modules, IEnumerable<string> packageDirectories)
        {
            _directories = modules.Select(m => m.Directory).ToHashSet(StringComparer.Ordinal);
            _longestDirectory = _directories.Count == 0 ? -1 : _directories.Max(d => d.Length);
            foreach (var module in modules)
            {
                if (module.Path is not { } path) continue;
                if (_byPath.TryGetValue(path, out var same)) same.Directories.Add(module.Directory);
                else _byPath[path] = (module, new HashSet<string>(StringComparer.Ordinal) { module.Directory });
            }
            foreach (var (path, same) in _byPath)
            {
                if (path.Length == 0) continue; // no import path has the empty prefix
                var node = _paths;
                foreach (var segment in path.Split('/'))
                {
                    node.Children ??= new Dictionary<string, PathNode>(StringComparer.Ordinal);
                    if (!node.Children.TryGetValue(segment, out var child)) node.Children[segment] = child = new PathNode();
                    node = child;
                }
                node.Modules = same;
            }
            var standard = _byPath.TryGetValue("std", out var std) ? std.Directories : [];
            foreach (var package in packageDirectories)
            {
                if (Nearest(package) is not { } module || !standard.Contains(module)) continue;
                var importPath = module.Length == 0 ? package : package == module ? "" : package[(module.Length + 1)..];
                if (!_standard.TryGetValue(importPath, out var found) || string.CompareOrdinal(module, found.Module) < 0)
                    _standard[importPath] = (module, package);
            }
        }

        /// <summary>The directory of the nearest go.mod at or above <paramref name="directory"/>, or null.</summary>
        public string? Nearest(string directory)
        {
            var end = directory.Length;
            Steps += end + 1;
            while (end > _longestDirectory) end = end == 0 ? -1 : Math.Max(0, directory.LastIndexOf('/', end - 1));
            while (end >= 0)
            {
                var current = end == directory.Length ? directory : directory[..end];
                Steps += current.Length + 1;
                if (_directories.Contains(current)) return current;
                if (end == 0) return null;
                end = Math.Max(0, directory.LastIndexOf('/', end - 1));
            }
            return null;
        }

        /// <summary>The module whose path is the longest prefix of the import path (whole segments); on a tie, the
        /// importer's own module, else the first by directory.</summary>
        public Module? Owner(string importPath, string? ownModule)
        {
            var segments = importPath.Split('/');
            Steps += importPath.Length + 1;
            (Module First, HashSet<string> Directories)? longest = null;
            var node = _paths;
            foreach (var segment in segments)
            {
                Steps++;
                if (node.Children is null || !node.Children.TryGetValue(segment, out var child)) break;
                node = child;
                longest = node.Modules ?? longest;
            }
            if (longest is not { } modules) return null;
            return ownModule is not null && modules.Directories.Contains(ownModule)
                ? modules.First with { Directory = ownModule }
                : modules.First;
        }

        /// <summary>The package a "std" module holds at <paramref name="importPath"/> (already normalised), or null.</summary>
        public string? Standard(string importPath) => _standard.TryGetValue(importPath, out var found) ? found.Package : null;
    }

    private static string? Resolve(string importPath, string directory, string? ownModule, ModuleIndex modules,
        Dictionary<string, List<string>> packages)
    {
        if (importPath.Length == 0) return null;
        if (importPath == "." || importPath == ".." || importPath.StartsWith("./", StringComparison.Ordinal) ||
            importPath.StartsWith("../", StringComparison.Ordinal))
            return Normalize(LexerText.Join(directory, importPath));

        if (modules.Owner(importPath, ownModule) is { } best)
        {
            var rest = importPath.Length == best.Path!.Length ? "" : importPath[(best.Path.Length + 1)..];
            var target = Normalize(LexerText.Join(best.Directory, rest));
            if (target is not null && modules.Nearest(target) == best.Directory) return target;
        }

        if (ownModule is not null)
        {
            var vendored = Normalize(LexerText.Join(LexerText.Join(ownModule, "vendor"), importPath));
            if (vendored is not null && packages.ContainsKey(vendored)) return vendored;
        }

        // The Go tree itself: module "std" holds the packages whose import path has no dot in its first element.
        var first = importPath.Split('/')[0];
        return !first.Contains('.') && Normalize(importPath) is { } normalized ? modules.Standard(normalized) : null;
    }

    /// <summary>Folds "." and ".." segments; null when the path climbs above the repository root.</summary>
    internal static string? Normalize(string path)
    {
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (segments.Count == 0) return null;
                segments.RemoveAt(segments.Count - 1);
            }
            else segments.Add(segment);
        }
        return string.Join('/', segments);
    }
}
