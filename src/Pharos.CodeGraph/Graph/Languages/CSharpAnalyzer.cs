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
        var result = new List<FileImports>(files.Count);
        foreach (var (file, source) in parsed)
        {
            var resolved = new HashSet<string>(StringComparer.Ordinal);
            var unresolved = 0;
            var wide = 0;
            foreach (var directive in source.Usings)
            {
                var ns = Resolve(directive, declaring);
                if (ns is null) unresolved++;
                else if (declaring[ns].Count > limits.MaxImportFanOut) wide++;
                else resolved.UnionWith(declaring[ns]);
            }
            resolved.Remove(file.Path);
            budget.Spend(resolved.Count);
            result.Add(new FileImports(file.Path, resolved, unresolved, wide));
        }
        return result;
    }

    /// <summary>
    /// A namespace of more parts or characters than this (nested blocks included) is no C# anyone writes: its block is
    /// read as plain braces of the namespace around it, so that hostile nesting cannot make the names a file holds grow
    /// with the square of its length (100,000 nested blocks would be 10^10 characters), nor a directive's lookups,
    /// one per enclosing part, with the depth.
    /// </summary>
    internal const int MaxNameParts = 32, MaxNameLength = 512;

    private static bool IsDeclarable(string name) => name.Length <= MaxNameLength && name.AsSpan().Count('.') < MaxNameParts;

    /// <summary>The declared namespace a directive lands on, or null.</summary>
    private static string? Resolve(UsingDirective directive, Dictionary<string, List<string>> declaring)
    {
        // Innermost enclosing namespace first, the global namespace last.
        var scope = directive.Scope;
        while (true)
        {
            var qualified = scope.Length == 0 ? directive.Name : scope + "." + directive.Name;
            if (declaring.ContainsKey(qualified)) return qualified;
            if (directive.Kind != UsingKind.Namespace)
            {
                // The type's namespace: shorter and shorter prefixes, never climbing back into the scope itself. Only
                // names up to MaxNameLength are declared: longer prefixes are passed over without being cut out.
                for (var dot = qualified.LastIndexOf('.'); dot > scope.Length; dot = qualified.LastIndexOf('.', dot - 1))
                {
                    if (dot > MaxNameLength) continue;
                    var candidate = qualified[..dot];
                    if (declaring.ContainsKey(candidate)) return candidate;
                }
            }
            if (scope.Length == 0) return null;
            var scopeDot = scope.LastIndexOf('.');
            scope = scopeDot < 0 ? "" : scope[..scopeDot];
        }
    }

    /// <summary>The declared namespaces and the using directives of a C# source.</summary>
    internal static CSharpSource Parse(string text)
    {
        var tokens = Tokenize(text);
        var namespaces = new List<string>();
        var usings = new List<UsingDirective>();
        var open = new List<(string Name, int Depth)>();
        var fileScoped = "";
        var depth = 0;
        for (var k = 0; k < tokens.Count; k++)
        {
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
                var (name, next) = QualifiedName(tokens, k + 1);
                if (name is null || next >= tokens.Count) continue;
                if (tokens[next].IsPunctuation('{'))
                {
                    if ((scope.Length == 0 ? 0 : scope.Length + 1) + name.Length > MaxNameLength) continue; // plain braces: MaxNameLength
                    var full = scope.Length == 0 ? name : scope + "." + name;
                    if (!IsDeclarable(full)) continue;
                    namespaces.Add(full);
                    open.Add((full, depth));
                    depth++;
                    k = next;
                }
                else if (tokens[next].IsPunctuation(';') && IsDeclarable(name))
                {
                    namespaces.Add(name);
                    fileScoped = name;
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
                    var (target, next) = QualifiedName(tokens, j + 2);
                    if (target is not null) usings.Add(new UsingDirective(UsingKind.Alias, target, scope, isGlobal));
                    k = Math.Max(k, next - 1);
                }
                else
                {
                    var (name, next) = QualifiedName(tokens, j);
                    if (name is null) continue;
                    if (isStatic) usings.Add(new UsingDirective(UsingKind.Static, name, scope, isGlobal));
                    else if (next < tokens.Count && tokens[next].IsPunctuation(';'))
                        usings.Add(new UsingDirective(UsingKind.Namespace, name, scope, isGlobal));
                    else continue; // `using var x = …;`, `using Foo x = …;`: a declaration, not a directive.
                    k = next - 1;
                }
            }
        }
        return new CSharpSource(namespaces, usings);
    }

    /// <summary>[global::] Identifier (('.' | '::') Identifier)*; the dotted name and the index after it.</summary>
    private static (string? Name, int Next) QualifiedName(List<SourceToken> tokens, int start)
    {
        var j = start;
        if (j + 2 < tokens.Count && tokens[j].IsIdentifier("global") && tokens[j + 1].IsPunctuation(':') && tokens[j + 2].IsPunctuation(':'))
            j += 3;
        if (j >= tokens.Count || tokens[j].Kind != TokenKind.Identifier) return (null, start);
        var parts = new List<string> { tokens[j].Text };
        j++;
        while (j + 1 < tokens.Count)
        {
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
        var i = 0;
        var lineStart = true; // only white space since the last line break
        while (i < text.Length)
        {
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
                i = LexerText.SkipLineComment(text, i);
                continue;
            }
            lineStart = false;
            if (c == '/' && next == '/') i = LexerText.SkipLineComment(text, i);
            else if (c == '/' && next == '*') i = LexerText.SkipBlockComment(text, i);
            else if (c is '"' or '$' or '@' && SkipString(text, i, 0) is var end && end > i)
            {
                tokens.Add(new SourceToken(TokenKind.Other, "\""));
                i = end;
            }
            else if (c == '\'')
            {
                i = LexerText.SkipEscapedLiteral(text, i, '\'', null);
                tokens.Add(new SourceToken(TokenKind.Other, "'"));
            }
            else if (c == '@' && LexerText.IsIdentifierStart(next))
            {
                // @name is the identifier name, but @namespace, @using… must never read as the keywords.
                var identifierEnd = LexerText.SkipIdentifier(text, i + 1);
                var name = text[(i + 1)..identifierEnd];
                tokens.Add(new SourceToken(TokenKind.Identifier, name is "namespace" or "using" or "static" or "global" or "unsafe" ? "@" + name : name));
                i = identifierEnd;
            }
            else
            {
                i = LexerText.AddPlainToken(text, i, tokens);
            }
        }
        return tokens;
    }

    /// <summary>Interpolation holes nest strings in strings; past this depth a hole is skipped by braces alone, so
    /// hostile input cannot exhaust the stack.</summary>
    private const int MaxNesting = 32;

    /// <summary>When a string literal starts at <paramref name="i"/> (<c>"…"</c>, <c>@"…"</c>, <c>$"…"</c>,
    /// <c>$@"…"</c>, <c>@$"…"</c>, raw <c>"""…"""</c> with any number of <c>$</c>): the index after it;
    /// otherwise <paramref name="i"/>.</summary>
    private static int SkipString(string text, int i, int nesting)
    {
        var j = i;
        var dollars = 0;
        var verbatim = false;
        while (j < text.Length && (text[j] == '$' || text[j] == '@'))
        {
            if (text[j] == '$') dollars++;
            else if (verbatim) return i;
            else verbatim = true;
            j++;
        }
        if (j >= text.Length || text[j] != '"' || (dollars > 0 && verbatim && j - i != dollars + 1)) return i;

        var quotes = 0;
        while (j + quotes < text.Length && text[j + quotes] == '"') quotes++;
        if (quotes >= 3 && !verbatim)
        {
            // Raw string: ends at the next run of as many quotes. (Holes of raw interpolated strings are not
            // parsed: a raw string cannot contain its own delimiter.)
            var close = text.IndexOf(new string('"', quotes), j + quotes, StringComparison.Ordinal);
            return close < 0 ? text.Length : close + quotes;
        }
        if (quotes == 2 && !verbatim) return j + 2; // ""  (an empty string)

        j++; // inside the literal
        while (j < text.Length)
        {
            var c = text[j];
            var next = j + 1 < text.Length ? text[j + 1] : '\0';
            if (c == '"')
            {
                if (verbatim && next == '"') j += 2;
                else return j + 1;
            }
            else if (c == '\\' && !verbatim) j += 2;
            else if (c == '\n' && !verbatim) return j;
            else if (c == '{' && dollars > 0)
            {
                if (next == '{') j += 2;
                else j = SkipHole(text, j + 1, nesting + 1);
            }
            else j++;
        }
        return text.Length;
    }

    /// <summary>From just inside an interpolation hole: the index after its closing brace.</summary>
    private static int SkipHole(string text, int i, int nesting)
    {
        var depth = 1;
        var j = i;
        while (j < text.Length)
        {
            var c = text[j];
            var next = j + 1 < text.Length ? text[j + 1] : '\0';
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return j + 1;
            else if (c == '/' && next == '*')
            {
                j = LexerText.SkipBlockComment(text, j);
                continue;
            }
            else if (c == '\'')
            {
                j = LexerText.SkipEscapedLiteral(text, j, '\'', null);
                continue;
            }
            else if (c is '"' or '$' or '@' && nesting < MaxNesting)
            {
                var end = SkipString(text, j, nesting);
                if (end > j)
                {
                    j = end;
                    continue;
                }
            }
            j++;
        }
        return text.Length;
    }
}
