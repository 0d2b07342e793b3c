namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// C# <c>using</c> directives resolved to the files that declare the namespaces they name.
/// <para>
/// Every file's declared namespaces are collected (<c>namespace A.B { }</c> blocks, nested ones as their full
/// names, and file-scoped <c>namespace A.B;</c>). Directives: <c>using X.Y;</c>, <c>using static X.Y.Z;</c>,
/// <c>using Alias = X.Y.Z;</c>, each optionally <c>global</c>; <c>using (…)</c> statements and
/// <c>using var x = …;</c> declarations are not directives. Comments, strings (regular, verbatim, raw,
/// interpolated) and character literals are skipped; preprocessor lines are not code (both branches of an
/// <c>#if</c> are read).
/// </para>
/// <para>
/// <c>using X.Y;</c> → an edge to every file declaring exactly <c>X.Y</c> (not its sub-namespaces).
/// <c>using static X.Y.Z;</c> and <c>using A = X.Y.Z;</c> name a type (or, for an alias, possibly a namespace):
/// the full name is tried as a namespace first, then each shorter prefix (so <c>X.Y</c>, the type's namespace; a
/// nested type's outer type is skipped the same way). A directive inside <c>namespace N { }</c> (or after
/// <c>namespace N;</c>) is looked up in <c>N</c> and its enclosing namespaces first, then globally, as the compiler
/// does. A directive naming no declared namespace is one unresolved import (System.*, packages); an alias to a
/// tuple or other nameless type is not counted.
/// </para>
/// <para>
/// A <c>global using</c> applies to every file of the project, but edges from every C# file would swamp the graph,
/// so its edges leave only the file that holds it. Files also use their own namespace's other files without any
/// directive; those implicit edges are NOT added (they would make every namespace a clique).
/// </para>
/// <para>
/// A directive landing on a namespace declared by more than <see cref="AnalysisLimits.MaxImportFanOut"/> files makes
/// no edge and counts as one wide import: a namespace shared by thousands of files would otherwise give every file
/// that uses it an edge to each of them.
/// </para>
/// </summary>
public sealed class CSharpAnalyzer(AnalysisLimits limits) : ILanguageAnalyzer
{
    public CSharpAnalyzer() : this(AnalysisLimits.Default) { }

    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(StringComparer.Ordinal) { LanguageNames.CSharp };

    internal enum UsingKind { Namespace, Static, Alias }

    /// <summary>A directive: the name it imports and the namespace it sits in ("" at the top level).</summary>
    internal sealed record UsingDirective(UsingKind Kind, string Name, string Scope, bool IsGlobal);

    internal sealed record CSharpSource(IReadOnlyList<string> Namespaces, IReadOnlyList<UsingDirective> Usings);

    public IReadOnlyList<FileImports> Analyze(IReadOnlyList<SourceFile> files, RepositoryIndex repository)
    {
        var parsed = files.Select(f => (File: f, Source: Parse(f.Text))).ToList();
        var declaring = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (file, source) in parsed)
            foreach (var ns in source.Namespaces.Distinct(StringComparer.Ordinal))
            {
                if (!declaring.TryGetValue(ns, out var list)) declaring[ns] = list = [];
                list.Add(file.Path);
            }

        var budget = new EdgeBudget(limits);
        var tree = new NamespaceTree(declaring.Keys);
        var result = new List<FileImports>(files.Count);
        foreach (var (file, source) in parsed)
        {
            var resolved = new HashSet<string>(StringComparer.Ordinal);
            var unresolved = 0;
            var wide = 0;
            foreach (var directive in source.Usings)
            {
                var ns = tree.Resolve(directive);
                if (ns is null) unresolved++;
                else if (declaring[ns].Count > limits.MaxImportFanOut) wide++;
                else resolved.UnionWith(declaring[ns]);
            }
            resolved.Remove(file.Path);
            budget.Spend(resolved.Count);
            result.Add(new FileImports(file.Path, resolved, unresolved, wide));
        }
        LastResolveSteps = tree.Steps;
        return result;
    }

    /// <summary>
    /// A namespace of more parts or characters than this (nested blocks included) is no C# anyone writes: its block is
    /// read as plain braces of the namespace around it, so that hostile nesting cannot make the names a file holds grow
    /// with the square of its length (100,000 nested blocks would be 10^10 characters), nor a directive's lookups,
    /// one per enclosing part, with the depth.
    /// </summary>
    internal const int MaxNameParts = 32, MaxNameLength = 512;

    /// <summary>Scanner steps (characters and tokens read) the last <see cref="Tokenize"/> or <see cref="Parse"/> on this
    /// thread took: linear in the text, by construction; the properties check it.</summary>
    [ThreadStatic] internal static long LastScanSteps;

    /// <summary>Namespace-tree steps the last <see cref="Analyze"/> on this thread took to resolve its directives.</summary>
    [ThreadStatic] internal static long LastResolveSteps;

    /// <summary>The declared namespaces and the using directives of a C# source.</summary>
    internal static CSharpSource Parse(string text)
    {
        var tokens = Tokenize(text);
        var steps = LastScanSteps;
        var namespaces = new List<string>();
        var usings = new List<UsingDirective>();
        var open = new List<(string Name, int Depth)>();
        var fileScoped = "";
        var depth = 0;
        for (var k = 0; k < tokens.Count; k++)
        {
            steps++;
            var token = tokens[k];
            var scope = open.Count > 0 ? open[^1].Name : fileScoped;
            if (token.IsPunctuation('{')) depth++;
            else if (token.IsPunctuation('}'))
            {
                depth = Math.Max(0, depth - 1);
                while (open.Count > 0 && open[^1].Depth >= depth) open.RemoveAt(open.Count - 1);
            }
            else if (token.IsIdentifier("namespace"))
            {
                var (name, next) = QualifiedName(tokens, k + 1, ref steps);
                if (name is null || next >= tokens.Count) continue;
                if (tokens[next].IsPunctuation('{'))
                {
                    if (!Trackable(scope, name))
                    {
                        k = next - 1; // its brace is an ordinary one
                        continue;
                    }
                    var full = scope.Length == 0 ? name : scope + "." + name;
                    namespaces.Add(full);
                    open.Add((full, depth));
                    depth++;
                    k = next;
                }
                else if (tokens[next].IsPunctuation(';'))
                {
                    if (Trackable("", name))
                    {
                        namespaces.Add(name);
                        fileScoped = name;
                    }
                    k = next;
                }
            }
            else if (token.IsIdentifier("using"))
            {
                var isGlobal = k > 0 && tokens[k - 1].IsIdentifier("global");
                var j = k + 1;
                var isStatic = j < tokens.Count && tokens[j].IsIdentifier("static");
                if (isStatic) j++;
                if (j < tokens.Count && tokens[j].IsIdentifier("unsafe")) j++;
                if (!isStatic && j + 2 < tokens.Count && tokens[j].Kind == TokenKind.Identifier &&
                    tokens[j + 1].IsPunctuation('=') && !tokens[j + 2].IsPunctuation('='))
                {
                    var (target, next) = QualifiedName(tokens, j + 2, ref steps);
                    if (target is not null) usings.Add(new UsingDirective(UsingKind.Alias, target, scope, isGlobal));
                    k = Math.Max(k, next - 1);
                }
                else
                {
                    var (name, next) = QualifiedName(tokens, j, ref steps);
                    if (name is null) continue;
                    if (isStatic) usings.Add(new UsingDirective(UsingKind.Static, name, scope, isGlobal));
                    else if (next < tokens.Count && tokens[next].IsPunctuation(';'))
                        usings.Add(new UsingDirective(UsingKind.Namespace, name, scope, isGlobal));
                    else continue; // `using var x = …;`, `using Foo x = …;`: a declaration, not a directive.
                    k = next - 1;
                }
            }
        }
        LastScanSteps = steps;
        return new CSharpSource(namespaces, usings);
    }

    /// <summary>Whether <paramref name="name"/> declared inside <paramref name="scope"/> stays within the caps.</summary>
    private static bool Trackable(string scope, string name)
    {
        var length = scope.Length == 0 ? name.Length : scope.Length + 1 + name.Length;
        if (length > MaxNameLength) return false;
        var parts = (scope.Length == 0 ? 0 : scope.Count(c => c == '.') + 1) + name.Count(c => c == '.') + 1;
        return parts <= MaxNameParts;
    }

    /// <summary>[global::] Identifier (('.' | '::') Identifier)*; the dotted name and the index after it.</summary>
    private static (string? Name, int Next) QualifiedName(List<SourceToken> tokens, int start, ref long steps)
    {
        var j = start;
        if (j + 2 < tokens.Count && tokens[j].IsIdentifier("global") && tokens[j + 1].IsPunctuation(':') && tokens[j + 2].IsPunctuation(':'))
            j += 3;
        if (j >= tokens.Count || tokens[j].Kind != TokenKind.Identifier) return (null, start);
        var parts = new List<string> { tokens[j].Text };
        j++;
        while (j + 1 < tokens.Count)
        {
            steps++;
            if (tokens[j].IsPunctuation('.') && tokens[j + 1].Kind == TokenKind.Identifier)
            {
                parts.Add(tokens[j + 1].Text);
                j += 2;
            }
            else if (j + 2 < tokens.Count && tokens[j].IsPunctuation(':') && tokens[j + 1].IsPunctuation(':') &&
                     tokens[j + 2].Kind == TokenKind.Identifier)
            {
                parts.Add(tokens[j + 2].Text);
                j += 3;
            }
            else break;
        }
        return (string.Join('.', parts), j);
    }

    /// <summary>Tokens of a C# source: comments and preprocessor lines dropped; every kind of string literal and
    /// character literal becomes <see cref="TokenKind.Other"/>; <c>@name</c> is the identifier <c>name</c>.</summary>
    internal static List<SourceToken> Tokenize(string text)
    {
        var tokens = new List<SourceToken>();
        var strings = new StringScanner(text);
        long steps = 0;
        var i = 0;
        var lineStart = true; // only white space since the last line break
        while (i < text.Length)
        {
            steps++;
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            if (c == '\n')
            {
                lineStart = true;
                i++;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '#' && lineStart)
            {
                i = LexerText.Counted(ref steps, i, LexerText.SkipLineComment(text, i));
                continue;
            }
            lineStart = false;
            if (c == '/' && next == '/') i = LexerText.Counted(ref steps, i, LexerText.SkipLineComment(text, i));
            else if (c == '/' && next == '*') i = LexerText.Counted(ref steps, i, LexerText.SkipBlockComment(text, i));
            else if (c is '"' or '$' or '@' && strings.TrySkip(i, out var end))
            {
                tokens.Add(new SourceToken(TokenKind.Other, "\""));
                i = end;
            }
            else if (c == '\'')
            {
                i = LexerText.Counted(ref steps, i, LexerText.SkipEscapedLiteral(text, i, '\'', null));
                tokens.Add(new SourceToken(TokenKind.Other, "'"));
            }
            else if (c == '@' && LexerText.IsIdentifierStart(next))
            {
                // @name is the identifier name, but @namespace, @using… must never read as the keywords.
                var identifierEnd = LexerText.Counted(ref steps, i, LexerText.SkipIdentifier(text, i + 1));
                var name = text[(i + 1)..identifierEnd];
                tokens.Add(new SourceToken(TokenKind.Identifier, name is "namespace" or "using" or "static" or "global" or "unsafe" ? "@" + name : name));
                i = identifierEnd;
            }
            else
            {
                i = LexerText.Counted(ref steps, i, LexerText.AddPlainToken(text, i, tokens));
            }
        }
        LastScanSteps = steps + strings.Steps;
        return tokens;
    }

    /// <summary>
    /// Skips the string literals of one C# text: <c>"…"</c>, <c>@"…"</c>, <c>$"…"</c>, <c>$@"…"</c>, <c>@$"…"</c>, raw
    /// <c>"""…"""</c> with any number of <c>$</c>. Interpolation holes hold code, whose strings hold holes again, as deep
    /// as the input says, so the open literals and holes are kept on a stack of this scanner's own, never the thread's.
    /// Each character is read a bounded number of times: a run of <c>$</c> and <c>@</c> is read once however many of its
    /// positions are tried as a literal's start, and a raw literal's closing quotes are found in one pass.
    /// </summary>
    private sealed class StringScanner(string text)
    {
        /// <summary>Characters read so far.</summary>
        public long Steps;

        /// <summary>An open literal (its <c>$</c> count and whether verbatim) or an open hole (its unclosed braces).</summary>
        private readonly record struct Frame(bool Hole, int Dollars, bool Verbatim, int Braces);

        private readonly List<Frame> _open = [];

        // The run of '$' and '@' read last, [_runStart, _runEnd), and where its last two '@' are.
        private int _runStart = -1;
        private int _runEnd = -1;
        private int _lastAt = -1;
        private int _secondLastAt = -1;

        /// <summary>When a string literal starts at <paramref name="i"/>: true and the index after it (the text's end
        /// when it is unterminated; the line's end for an unterminated regular one).</summary>
        public bool TrySkip(int i, out int end)
        {
            end = i;
            if (!TryOpening(i, out var quote, out var dollars, out var verbatim)) return false;
            _open.Clear();
            var n = text.Length;
            var j = Open(quote, dollars, verbatim);
            while (_open.Count > 0 && j < n)
            {
                Steps++;
                var top = _open[^1];
                var c = text[j];
                var next = j + 1 < n ? text[j + 1] : '\0';
                if (!top.Hole)
                {
                    if (c == '"')
                    {
                        if (top.Verbatim && next == '"') j += 2;
                        else
                        {
                            _open.RemoveAt(_open.Count - 1);
                            j++;
                        }
                    }
                    else if (c == '\\' && !top.Verbatim) j += 2;
                    else if (c == '\n' && !top.Verbatim) _open.RemoveAt(_open.Count - 1); // unterminated: the line ends it
                    else if (c == '{' && top.Dollars > 0)
                    {
                        if (next == '{') j += 2;
                        else
                        {
                            _open.Add(new Frame(Hole: true, 0, false, Braces: 1));
                            j++;
                        }
                    }
                    else j++;
                    continue;
                }
                switch (c)
                {
                    case '{':
                        _open[^1] = top with { Braces = top.Braces + 1 };
                        j++;
                        break;
                    case '}':
                        if (top.Braces == 1) _open.RemoveAt(_open.Count - 1);
                        else _open[^1] = top with { Braces = top.Braces - 1 };
                        j++;
                        break;
                    case '/' when next == '*':
                        j = LexerText.Counted(ref Steps, j, LexerText.SkipBlockComment(text, j));
                        break;
                    case '\'':
                        j = LexerText.Counted(ref Steps, j, LexerText.SkipEscapedLiteral(text, j, '\'', null));
                        break;
                    case '"' or '$' or '@' when TryOpening(j, out var innerQuote, out var innerDollars, out var innerVerbatim):
                        j = Open(innerQuote, innerDollars, innerVerbatim);
                        break;
                    default:
                        j++;
                        break;
                }
            }
            end = _open.Count > 0 ? n : j;
            return true;
        }

        /// <summary>Whether a literal starts at <paramref name="i"/>: a '"' after a run of '$' and '@' (from
        /// <paramref name="i"/>) holding at most one '@'. Gives the index of its first quote, its '$' count and
        /// whether it is verbatim.</summary>
        private bool TryOpening(int i, out int quote, out int dollars, out bool verbatim)
        {
            quote = i;
            dollars = 0;
            verbatim = false;
            if (text[i] == '"') return true;
            if (text[i] is not ('$' or '@')) return false;
            if (i < _runStart || i >= _runEnd)
            {
                _runStart = i;
                _lastAt = _secondLastAt = -1;
                var j = i;
                while (j < text.Length && text[j] is '$' or '@')
                {
                    Steps++;
                    if (text[j] == '@')
                    {
                        _secondLastAt = _lastAt;
                        _lastAt = j;
                    }
                    j++;
                }
                _runEnd = j;
            }
            if (_runEnd >= text.Length || text[_runEnd] != '"' || _secondLastAt >= i) return false;
            verbatim = _lastAt >= i;
            dollars = _runEnd - i - (verbatim ? 1 : 0);
            quote = _runEnd;
            return true;
        }

        /// <summary>From a literal's first quote: a raw literal or <c>""</c> is skipped whole; any other is opened on
        /// the stack. Returns the index to go on from.</summary>
        private int Open(int quote, int dollars, bool verbatim)
        {
            var quotes = 0;
            while (quote + quotes < text.Length && text[quote + quotes] == '"')
            {
                Steps++;
                quotes++;
            }
            // Raw string: ends at the next run of as many quotes. (Holes of raw interpolated strings are not parsed: a
            // raw string cannot contain its own delimiter.)
            if (quotes >= 3 && !verbatim) return SkipRaw(quote + quotes, quotes);
            if (quotes == 2 && !verbatim) return quote + 2; // ""  (an empty string)
            _open.Add(new Frame(Hole: false, dollars, verbatim, 0));
            return quote + 1;
        }

        /// <summary>From just inside a raw literal opened by <paramref name="quotes"/> quotes: the index after the first
        /// run of at least as many (its first <paramref name="quotes"/> close it), or the text's end.</summary>
        private int SkipRaw(int i, int quotes)
        {
            var n = text.Length;
            while (i < n)
            {
                Steps++;
                if (text[i] != '"')
                {
                    i++;
                    continue;
                }
                var run = i;
                while (run < n && text[run] == '"')
                {
                    Steps++;
                    run++;
                }
                if (run - i >= quotes) return i + quotes;
                i = run;
            }
            return n;
        }
    }

    /// <summary>
    /// The declared namespaces as a tree of their dotted parts. A directive is looked up in its namespace and each
    /// enclosing one by walking down from that namespace's node, part by part, until a part is missing: no name is
    /// built per enclosing namespace or per prefix, so a long name costs its length once, not once per part.
    /// </summary>
    private sealed class NamespaceTree
    {
        private sealed class Node(Node? parent)
        {
            public Node? Parent { get; } = parent;

            /// <summary>The full name, when some file declares this namespace.</summary>
            public string? Declared { get; set; }

            public Dictionary<string, Node>? Children { get; set; }
        }

        private readonly Node _root = new(null);
        private readonly Dictionary<string, Node> _byName = new(StringComparer.Ordinal);

        // Directives of one namespace block share its name's string: its node is looked up once.
        private readonly Dictionary<string, Node> _byScope = new(ReferenceEqualityComparer.Instance);

        public long Steps { get; private set; }

        public NamespaceTree(IEnumerable<string> declared)
        {
            foreach (var name in declared)
            {
                var node = _root;
                foreach (var part in name.Split('.'))
                {
                    Steps++;
                    node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                    if (!node.Children.TryGetValue(part, out var child)) node.Children[part] = child = new Node(node);
                    node = child;
                }
                node.Declared = name;
                _byName[name] = node;
            }
        }

        /// <summary>
        /// The declared namespace a directive lands on, or null. Innermost enclosing namespace first, the global
        /// namespace last; in each, the full name as a namespace, then (for static and alias directives, which name a
        /// type) shorter and shorter prefixes, never climbing back into the enclosing namespace itself.
        /// </summary>
        public string? Resolve(UsingDirective directive)
        {
            var parts = directive.Name.Split('.');
            for (var scope = ScopeNode(directive.Scope); scope is not null; scope = scope.Parent)
            {
                string? found = null;
                var node = scope;
                var walked = 0;
                foreach (var part in parts)
                {
                    Steps++;
                    if (node.Children is null || !node.Children.TryGetValue(part, out var child)) break;
                    node = child;
                    walked++;
                    if (node.Declared is not null && (directive.Kind != UsingKind.Namespace || walked == parts.Length))
                        found = node.Declared;
                }
                if (found is not null) return found;
            }
            return null;
        }

        /// <summary>The node of the namespace a directive sits in: a declared one ("" for the global namespace).</summary>
        private Node ScopeNode(string scope)
        {
            if (scope.Length == 0) return _root;
            if (_byScope.TryGetValue(scope, out var node)) return node;
            Steps++;
            node = _byName.GetValueOrDefault(scope, _root);
            _byScope[scope] = node;
            return node;
        }
    }
}
