namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// Finds the imports of the files of one language family and resolves them to other files of the repository.
/// Analyzers are pure: they see the repository only through <see cref="RepositoryIndex"/>, never the disk.
/// </summary>
public interface ILanguageAnalyzer
{
    /// <summary>The <see cref="LanguageNames"/> names this analyzer takes (JavaScript and TypeScript share one).</summary>
    IReadOnlySet<string> Languages { get; }

    /// <summary>For each file given (all of this analyzer's languages), what it imports.</summary>
    IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository);
}

/// <summary>
/// One file's imports: <see cref="Resolved"/> holds repository-relative paths of imported files (duplicates and
/// the file itself are dropped by the builder); <see cref="Unresolved"/> counts imports that name nothing in the
/// repository (the standard library, third-party packages); <see cref="Wide"/> counts imports that name more files
/// than <see cref="AnalysisLimits.MaxImportFanOut"/> and so make no edge.
/// </summary>
public sealed record FileImports(string Path, IReadOnlyCollection<string> Resolved, int Unresolved, int Wide = 0);

/// <summary>
/// The edges one analysis has made so far, stopped past <see cref="AnalysisLimits.MaxEdges"/> while the analyzer
/// resolves, before its results are all held at once (the builder counts the whole graph again).
/// </summary>
internal sealed class EdgeBudget(AnalysisLimits limits)
{
    private long _made;

    /// <summary>Counts one file's targets (deduplicated, without the file itself: the edges they make).</summary>
    /// <exception cref="RepositoryTooLargeException">The edges made are now more than the limit.</exception>
    public void Spend(int edges)
    {
        _made += edges;
        if (_made > limits.MaxEdges) throw RepositoryTooLargeException.Edges(_made, limits.MaxEdges);
    }
}

/// <summary>Every file path of the repository (all files scanned, not only sources), for resolution.</summary>
public sealed class RepositoryIndex(IEnumerable<string> paths, IReadOnlyDictionary<string, string>? texts = null)
{
    private readonly HashSet<string> _paths = new(paths, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Paths => _paths;

    /// <summary>The name of the repository's own directory ("pygments" for …/dist-packages/pygments), when known.</summary>
    public string? RootName { get; init; }

    public bool Exists(string path) => _paths.Contains(path);

    /// <summary>Whether some indexed file lies under <paramref name="path"/> ("a/b" for "a/b/c.py"); "" is the root.</summary>
    public bool DirectoryExists(string path) => path.Length == 0 ? _paths.Count > 0 : Directories.Contains(path);

    private HashSet<string>? _directories;

    private HashSet<string> Directories => LazyInitializer.EnsureInitialized(ref _directories, () =>
    {
        var directories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in _paths)
        {
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                if (!directories.Add(path[..slash])) break;
            }
        }
        return directories;
    });

    /// <summary>The text of a non-source file the analyzers may need (go.mod, package.json), when it was read.</summary>
    public string? TextOf(string path) => texts?.GetValueOrDefault(path);
}
