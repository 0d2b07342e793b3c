namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// Java imports: <c>import a.b.C;</c>, <c>import a.b.*;</c>, <c>import static a.b.C.m;</c> and
/// <c>import static a.b.C.*;</c>, each counting once.
/// <para>
/// Source roots come from the files themselves: a file <c>src/main/java/x/y/C.java</c> declaring
/// <c>package x.y;</c> makes <c>src/main/java/</c> a root (a file whose directory does not end in its package's
/// path, or that has no package, makes none). A name resolves in every root where it exists:
/// <c>a.b.C</c> → <c>&lt;root&gt;/a/b/C.java</c>; a nested class <c>a.b.C.Inner</c> → <c>a/b/C/Inner.java</c>, else
/// <c>a/b/C.java</c> (shorter and shorter prefixes, down to two segments); <c>a.b.*</c> → every .java file directly
/// in <c>&lt;root&gt;/a/b/</c> except package-info.java and module-info.java (else, for <c>a.b.C.*</c>, the class file of <c>a.b.C</c>); static imports → the
/// class file of the name without its member. An import that names no file is one unresolved import.
/// </para>
/// <para>
/// Classes of the file's own package used without an import are NOT inferred: that needs every identifier of the
/// file checked against the package's classes, which costs far more than it tells.
/// </para>
/// <para>
/// An import that names more than <see cref="AnalysisLimits.MaxImportFanOut"/> files (a wildcard over a large
/// package, or a class found in very many source roots) makes no edge and counts as one wide import.
/// </para>
/// </summary>
public sealed class JavaAnalyzer(AnalysisLimits limits) : ILanguageAnalyzer
{
    public JavaAnalyzer() : this(AnalysisLimits.Default) { }

    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(StringComparer.Ordinal) { LanguageNames.Java };

    internal sealed record JavaImport(string Name, bool IsStatic, bool IsWildcard);

    internal sealed record JavaSource(string? Package, IReadOnlyList<JavaImport> Imports);

    public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
    {
        var parsed = files.Select(f => (File: f, Source: Parse(f.Text))).ToList();
        var javaFiles = files.Select(f => f.Path).Where(p => p.EndsWith(".java", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        var roots = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, source) in parsed)
            if (RootOf(file.Path, source.Package) is { } root) roots.Add(root);
        var index = new SourceRootIndex(javaFiles, roots);

        var budget = new EdgeBudget(limits);
        var result = new List<FileImports>(files.Count);
        foreach (var (file, source) in parsed)
        {
            var resolved = new HashSet<string>(StringComparer.Ordinal);
            var unresolved = 0;
            var wide = 0;
            foreach (var import in source.Imports)
            {
                var targets = Resolve(import, index);
                if (targets.Count == 0) unresolved++;
                else if (targets.Count > limits.MaxImportFanOut) wide++;
                else resolved.UnionWith(targets);
            }
            resolved.Remove(file.Path);
            budget.Spend(resolved.Count);
            result.Add(new FileImports(file.Path, resolved, unresolved, wide));
        }
        LastResolveSteps = index.Steps;
        return result;
    }

    /// <summary>package-info.java and module-info.java declare no class, so a wildcard does not reach them.</summary>
    private static bool IsDescriptor(string path) =>
        LexerText.FileNameOf(path) is "package-info.java" or "module-info.java";

    /// <summary>The source root a file's package declaration implies ("" for the repository root), or null.</summary>
    internal static string? RootOf(string path, string? package)
    {
        if (package is null) return null;
        var directory = LexerText.DirectoryOf(path);
        var packagePath = package.Replace('.', '/');
        if (directory == packagePath) return "";
        return directory.EndsWith("/" + packagePath, StringComparison.Ordinal)
            ? directory[..(directory.Length - packagePath.Length - 1)]
            : null;
    }

    /// <summary>
    /// Every .java file by its path from each source root it lies under (<c>a/b/C.java</c>), and the classes of each
    /// package path (<c>a/b</c>) over all roots, as a tree of path segments: a name is looked up once, however many
    /// roots there are, by walking down it segment by segment until one is missing. No path is built for each shorter
    /// and shorter prefix of a name, nor for each directory above a file, so a long dotted name costs its length once.
    /// </summary>
    private sealed class SourceRootIndex
    {
        private sealed class Node
        {
            public Dictionary<string, Node>? Children { get; set; }

            /// <summary>In the tree of the repository's paths: whether this directory is a source root.</summary>
            public bool IsRoot { get; set; }

            /// <summary>In the tree of paths from the roots: the files <c>X.java</c> when this node is <c>X</c>.</summary>
            public List<string>? ClassFiles { get; set; }

            /// <summary>In the tree of paths from the roots: what a wildcard on this package reaches (without
            /// package-info.java and module-info.java).</summary>
            public List<string>? Classes { get; set; }

            public Node Child(string name)
            {
                Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!Children.TryGetValue(name, out var child)) Children[name] = child = new Node();
                return child;
            }

            public Node? Find(string name) => Children?.GetValueOrDefault(name);
        }

        /// <summary>Paths from the source roots.</summary>
        private readonly Node _fromRoots = new();

        /// <summary>Segments walked, building the index and looking names up.</summary>
        public long Steps { get; private set; }

        public SourceRootIndex(IEnumerable<string> javaFiles, HashSet<string> roots)
        {
            var repository = new Node();
            foreach (var root in roots)
            {
                var node = repository;
                foreach (var segment in root.Length == 0 ? [] : root.Split('/'))
                {
                    Steps++;
                    node = node.Child(segment);
                }
                node.IsRoot = true;
            }
            foreach (var path in javaFiles)
            {
                var segments = path.Split('/');
                Node? node = repository;
                for (var s = 0; s < segments.Length && node is not null; s++)
                {
                    Steps++;
                    if (node.IsRoot) Add(segments, s, path);
                    node = node.Find(segments[s]);
                }
            }
        }

        /// <summary>Indexes <paramref name="path"/> by its segments from <paramref name="root"/> on.</summary>
        private void Add(string[] segments, int root, string path)
        {
            var node = _fromRoots;
            for (var s = root; s < segments.Length - 1; s++)
            {
                Steps++;
                node = node.Child(segments[s]);
            }
            if (!IsDescriptor(path)) (node.Classes ??= []).Add(path);
            (node.Child(segments[^1][..^".java".Length]).ClassFiles ??= []).Add(path);
        }

        /// <summary>The classes of the package named by all of <paramref name="segments"/>, or null.</summary>
        public List<string>? Package(string[] segments)
        {
            var node = _fromRoots;
            foreach (var segment in segments)
            {
                Steps++;
                if (node.Find(segment) is not { } child) return null;
                node = child;
            }
            return node.Classes;
        }

        /// <summary>The files of the longest prefix (at least two segments, at most <paramref name="length"/>) of
        /// <paramref name="segments"/> that is a class in some source root, or null.</summary>
        public List<string>? LongestClass(string[] segments, int length)
        {
            List<string>? found = null;
            var node = _fromRoots;
            for (var s = 0; s < length; s++)
            {
                Steps++;
                if (node.Find(segments[s]) is not { } child) break;
                node = child;
                if (s >= 1 && node.ClassFiles is { } files) found = files;
            }
            return found;
        }
    }

    /// <summary>The files an import names, in every source root (a list the index holds: read, never changed).</summary>
    private static IReadOnlyList<string> Resolve(JavaImport import, SourceRootIndex index)
    {
        var segments = import.Name.Split('.');
        if (import.IsWildcard && !import.IsStatic && index.Package(segments) is { Count: > 0 } inPackage) return inPackage;

        // The class: the whole name (a wildcard's owner), or without its member for a single static import.
        var classLength = import.IsStatic && !import.IsWildcard ? segments.Length - 1 : segments.Length;
        return index.LongestClass(segments, classLength) ?? [];
    }

    /// <summary>Steps (characters and tokens read) the last <see cref="Tokenize"/> or <see cref="Parse"/> on this thread
    /// took: linear in the text, by construction; the properties check it.</summary>
    [ThreadStatic] internal static long LastScanSteps;

    /// <summary>Index steps (segments walked) the last <see cref="Analyze"/> on this thread took to build its index and resolve.</summary>
    [ThreadStatic] internal static long LastResolveSteps;

    /// <summary>The package declaration and the imports of a Java source.</summary>
    internal static JavaSource Parse(string text)
    {
        var tokens = Tokenize(text);
        var steps = LastScanSteps;
        string? package = null;
        var imports = new List<JavaImport>();
        for (var k = 0; k < tokens.Count; k++)
        {
            steps++;
            if (tokens[k].IsIdentifier("package") && package is null)
            {
                var (name, next, _) = QualifiedName(tokens, k + 1, allowWildcard: false, ref steps);
                if (name is not null)
                {
                    package = name;
                    k = next - 1;
                }
            }
            else if (tokens[k].IsIdentifier("import"))
            {
                var j = k + 1;
                var isStatic = j < tokens.Count && tokens[j].IsIdentifier("static");
                if (isStatic) j++;
                var (name, next, wildcard) = QualifiedName(tokens, j, allowWildcard: true, ref steps);
                if (name is null) continue;
                // A static import needs at least a class and a member (or '*').
                if (!isStatic || wildcard || name.Contains('.')) imports.Add(new JavaImport(name, isStatic, wildcard));
                k = next - 1;
            }
        }
        LastScanSteps = steps;
        return new JavaSource(package, imports);
    }

    /// <summary>Identifier ('.' Identifier)* optionally ending in ".*"; the name, the index after it, and whether it
    /// was a wildcard.</summary>
    private static (string? Name, int Next, bool Wildcard) QualifiedName(List<SourceToken> tokens, int start, bool allowWildcard,
        ref long steps)
    {
        if (start >= tokens.Count || tokens[start].Kind != TokenKind.Identifier) return (null, start, false);
        var parts = new List<string> { tokens[start].Text };
        var j = start + 1;
        while (j + 1 < tokens.Count && tokens[j].IsPunctuation('.'))
        {
            steps++;
            if (tokens[j + 1].Kind == TokenKind.Identifier)
            {
                parts.Add(tokens[j + 1].Text);
                j += 2;
            }
            else if (allowWildcard && tokens[j + 1].IsPunctuation('*'))
                return (string.Join('.', parts), j + 2, true);
            else break;
        }
        return (string.Join('.', parts), j, false);
    }

    /// <summary>Tokens of a Java source: comments dropped; strings, text blocks ("""…""") and char literals become
    /// <see cref="TokenKind.Other"/>.</summary>
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
            else if (c == '"' && string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0)
            {
                i = LexerText.Counted(ref steps, i, SkipTextBlock(text, i + 3));
                tokens.Add(new SourceToken(TokenKind.Other, "\""));
            }
            else if (c is '"' or '\'')
            {
                i = LexerText.Counted(ref steps, i, LexerText.SkipEscapedLiteral(text, i, c, null));
                tokens.Add(new SourceToken(TokenKind.Other, LexerText.TextOf(c)));
            }
            else
            {
                i = LexerText.Counted(ref steps, i, LexerText.AddPlainToken(text, i, tokens, dollarInIdentifiers: true));
            }
        }
        LastScanSteps = steps;
        return tokens;
    }

    /// <summary>From just inside a text block's opening """: the index after its closing """.</summary>
    private static int SkipTextBlock(string text, int i)
    {
        var j = i;
        while (j < text.Length)
        {
            if (text[j] == '\\') j += 2;
            else if (text[j] == '"' && string.CompareOrdinal(text, j, "\"\"\"", 0, 3) == 0) return j + 3;
            else j++;
        }
        return text.Length;
    }
}
