namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>One imported module of a Python import statement.</summary>
/// <param name="Level">Leading dots of a relative <c>from</c> import (0 for absolute ones).</param>
/// <param name="Module">Dotted module name; empty for <c>from . import x</c>.</param>
/// <param name="Names">For <c>from</c> imports, the names imported ("*" for a star import); null for <c>import a.b</c>.</param>
internal sealed record PythonImport(int Level, string Module, IReadOnlyList<string>? Names)
{
    public bool IsFrom => Names is not null;

    public override string ToString() => IsFrom
        ? $"from {new string('.', Level)}{Module} import {string.Join(", ", Names!)}"
        : $"import {Module}";
}

/// <summary>
/// Finds the import statements of Python source with a small tokenizer: strings (any prefix, triple-quoted,
/// f-strings with nested replacement fields), comments, brackets and line continuations are tracked, and only an
/// <c>import</c> or <c>from</c> that begins a statement (line start after indentation, after <c>;</c>, or after a
/// compound statement's <c>:</c>) counts.
/// </summary>
internal static class PythonImportParser
{
    internal enum Kind : byte { Name, Dot, Comma, LParen, RParen, Star, Semicolon, Colon, Newline, String, Other }

    internal readonly record struct Token(Kind Kind, int Start, int Length);

    public static IReadOnlyList<PythonImport> Parse(string text)
    {
        var tokens = Tokenize(text);
        var imports = new List<PythonImport>();
        var atStatementStart = true;
        for (var t = 0; t < tokens.Count; t++)
        {
            var token = tokens[t];
            if (atStatementStart && token.Kind == Kind.Name)
            {
                int next;
                if (Is(text, token, "import")) next = ParseImport(text, tokens, t + 1, imports);
                else if (Is(text, token, "from")) next = ParseFrom(text, tokens, t + 1, imports);
                else next = -1;
                if (next >= 0)
                {
                    t = next - 1;
                    atStatementStart = false;
                    continue;
                }
            }
            atStatementStart = token.Kind is Kind.Newline or Kind.Semicolon or Kind.Colon;
        }
        return imports;
    }

    private static bool Is(string text, Token token, string word) =>
        token.Kind == Kind.Name && token.Length == word.Length && string.CompareOrdinal(text, token.Start, word, 0, word.Length) == 0;

    private static string TextOf(string text, Token token) => text.Substring(token.Start, token.Length);

    private static Token At(List<Token> tokens, int t) => t < tokens.Count ? tokens[t] : new Token(Kind.Newline, 0, 0);

    /// <summary>Reads a dotted name starting at <paramref name="t"/>; returns the index after it, or -1.</summary>
    private static int ReadDotted(string text, List<Token> tokens, int t, out string name)
    {
        name = "";
        if (At(tokens, t).Kind != Kind.Name) return -1;
        var parts = new List<string> { TextOf(text, tokens[t]) };
        t++;
        while (At(tokens, t).Kind == Kind.Dot && At(tokens, t + 1).Kind == Kind.Name)
        {
            parts.Add(TextOf(text, tokens[t + 1]));
            t += 2;
        }
        name = string.Join('.', parts);
        return t;
    }

    private static int SkipAlias(string text, List<Token> tokens, int t) =>
        Is(text, At(tokens, t), "as") && At(tokens, t + 1).Kind == Kind.Name ? t + 2 : t;

    // import a.b.c [as x] (, d [as y])*
    private static int ParseImport(string text, List<Token> tokens, int t, List<PythonImport> imports)
    {
        while (true)
        {
            var after = ReadDotted(text, tokens, t, out var module);
            if (after < 0) return t;
            imports.Add(new PythonImport(0, module, null));
            t = SkipAlias(text, tokens, after);
            if (At(tokens, t).Kind != Kind.Comma) return t;
            t++;
        }
    }

    // from .*[dotted] import (* | name [as x], ... | ( name [as x], ... [,] ))
    private static int ParseFrom(string text, List<Token> tokens, int t, List<PythonImport> imports)
    {
        var level = 0;
        while (At(tokens, t).Kind == Kind.Dot) { level++; t++; }
        var module = "";
        if (At(tokens, t).Kind == Kind.Name && !Is(text, tokens[t], "import"))
        {
            t = ReadDotted(text, tokens, t, out module);
        }
        if ((level == 0 && module.Length == 0) || !Is(text, At(tokens, t), "import")) return -1;
        t++;

        var names = new List<string>();
        if (At(tokens, t).Kind == Kind.Star)
        {
            names.Add("*");
            t++;
        }
        else
        {
            var parenthesised = At(tokens, t).Kind == Kind.LParen;
            if (parenthesised) t++;
            while (At(tokens, t).Kind == Kind.Name)
            {
                names.Add(TextOf(text, tokens[t]));
                t = SkipAlias(text, tokens, t + 1);
                if (At(tokens, t).Kind != Kind.Comma) break;
                t++;
            }
            if (parenthesised && At(tokens, t).Kind == Kind.RParen) t++;
        }
        if (names.Count > 0) imports.Add(new PythonImport(level, module, names));
        return t;
    }

    internal static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>(s.Length / 6);
        var depth = 0;
        var i = 0;
        var n = s.Length;
        while (i < n)
        {
            var c = s[i];
            switch (c)
            {
                case ' ' or '\t' or '\f':
                    i++;
                    continue;
                case '#':
                    while (i < n && s[i] != '\n' && s[i] != '\r') i++;
                    continue;
                case '\\':
                    // Line continuation: the backslash and the line end vanish.
                    i++;
                    if (i < n && s[i] == '\r') i++;
                    if (i < n && s[i] == '\n') i++;
                    continue;
                case '\r' or '\n':
                    i++;
                    if (depth == 0 && tokens.Count > 0 && tokens[^1].Kind != Kind.Newline) tokens.Add(new Token(Kind.Newline, i - 1, 1));
                    continue;
                case '\'' or '"':
                    {
                        var end = SkipString(s, i, formatted: false);
                        tokens.Add(new Token(Kind.String, i, end - i));
                        i = end;
                        continue;
                    }
                case '.':
                    tokens.Add(new Token(Kind.Dot, i++, 1));
                    continue;
                case ',':
                    tokens.Add(new Token(Kind.Comma, i++, 1));
                    continue;
                case '*':
                    tokens.Add(new Token(Kind.Star, i++, 1));
                    continue;
                case ';':
                    tokens.Add(new Token(Kind.Semicolon, i++, 1));
                    continue;
                case ':':
                    tokens.Add(new Token(depth == 0 && (i + 1 >= n || s[i + 1] != '=') ? Kind.Colon : Kind.Other, i++, 1));
                    continue;
                case '(':
                    depth++;
                    tokens.Add(new Token(Kind.LParen, i++, 1));
                    continue;
                case ')':
                    if (depth > 0) depth--;
                    tokens.Add(new Token(Kind.RParen, i++, 1));
                    continue;
                case '[' or '{':
                    depth++;
                    tokens.Add(new Token(Kind.Other, i++, 1));
                    continue;
                case ']' or '}':
                    if (depth > 0) depth--;
                    tokens.Add(new Token(Kind.Other, i++, 1));
                    continue;
            }

            if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < n && IsIdentifierPart(s[i])) i++;
                if (i < n && s[i] is '\'' or '"' && StringPrefix(s, start, i - start, out var formatted))
                {
                    var end = SkipString(s, i, formatted);
                    tokens.Add(new Token(Kind.String, start, end - start));
                    i = end;
                }
                else
                {
                    tokens.Add(new Token(Kind.Name, start, i - start));
                }
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < n && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '.')) i++;
                tokens.Add(new Token(Kind.Other, start, i - start));
                continue;
            }
            tokens.Add(new Token(Kind.Other, i++, 1));
        }
        return tokens;
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_' || (c > 127 && (char.IsLetter(c) || char.IsSurrogate(c)));

    private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_' || (c > 127 && (char.IsLetterOrDigit(c) || char.IsSurrogate(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.ConnectorPunctuation));

    /// <summary>Whether s[start..start+length] is a string prefix (r, b, u, f, t and their pairs).</summary>
    private static bool StringPrefix(string s, int start, int length, out bool formatted)
    {
        formatted = false;
        if (length is < 1 or > 2) return false;
        var raw = false;
        var bytes = false;
        for (var k = start; k < start + length; k++)
        {
            switch (char.ToLowerInvariant(s[k]))
            {
                case 'r' when !raw: raw = true; break;
                case 'b' when !bytes && !formatted: bytes = true; break;
                case 'u' when length == 1: break;
                case 'f' or 't' when !formatted && !bytes: formatted = true; break;
                default: return false;
            }
        }
        return true;
    }

    private enum Scan : byte { String, Field, FormatSpec }

    /// <summary>
    /// One open construct while a string is skipped: a string literal (its quote, whether triple-quoted, whether
    /// formatted), an f-string replacement field (its open brackets) or a field's format spec. <see cref="Triple"/> of a
    /// field or spec is that of the f-string it is in: a line end closes neither inside a triple-quoted one.
    /// </summary>
    private readonly record struct Frame(Scan Kind, char Quote, bool Triple, bool Formatted, int Brackets = 0);

    /// <summary>Steps the last <see cref="SkipString"/> on this thread took: linear in what it skipped, by construction.</summary>
    [ThreadStatic] internal static long LastSkipSteps;

    /// <summary>
    /// Skips the string whose opening quote is at <paramref name="i"/>; returns the index after it. f-strings nest
    /// (a field holds strings, which hold fields, ...) as deep as the input says, so the open constructs are kept on
    /// a stack of their own, never the thread's: each step either moves on or closes a construct, so the time is
    /// linear in the input and no nesting can overflow the stack.
    /// </summary>
    private static int SkipString(string s, int i, bool formatted)
    {
        var n = s.Length;
        var open = new List<Frame>();
        long steps = 0;
        i = Open(s, i, formatted, open);
        while (open.Count > 0 && i < n)
        {
            steps++;
            var top = open[^1];
            var c = s[i];
            switch (top.Kind)
            {
                case Scan.String:
                    if (c == '\\')
                    {
                        i++;
                        if (i < n && s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') i += 2;
                        else i++;
                    }
                    else if (c == top.Quote)
                    {
                        if (!top.Triple) { open.RemoveAt(open.Count - 1); i++; }
                        else if (i + 2 < n && s[i + 1] == top.Quote && s[i + 2] == top.Quote) { open.RemoveAt(open.Count - 1); i += 3; }
                        else i++;
                    }
                    else if (!top.Triple && c is '\n' or '\r') open.RemoveAt(open.Count - 1); // unterminated: the line ends it
                    else if (top.Formatted && c == '{')
                    {
                        if (i + 1 < n && s[i + 1] == '{') i += 2;
                        else { open.Add(new Frame(Scan.Field, '\0', top.Triple, false)); i++; }
                    }
                    else i++;
                    break;
                case Scan.Field:
                    switch (c)
                    {
                        case '\'' or '"':
                            i = Open(s, i, formatted: false, open);
                            break;
                        case '(' or '[' or '{':
                            open[^1] = top with { Brackets = top.Brackets + 1 };
                            i++;
                            break;
                        case ')' or ']':
                            if (top.Brackets > 0) open[^1] = top with { Brackets = top.Brackets - 1 };
                            i++;
                            break;
                        case '}':
                            if (top.Brackets == 0) open.RemoveAt(open.Count - 1);
                            else open[^1] = top with { Brackets = top.Brackets - 1 };
                            i++;
                            break;
                        case '\n' or '\r' when !top.Triple:
                            open.RemoveAt(open.Count - 1);
                            break;
                        case ':' when top.Brackets == 0:
                            open[^1] = top with { Kind = Scan.FormatSpec };
                            i++;
                            break;
                        default:
                            if (IsIdentifierStart(c))
                            {
                                var start = i;
                                while (i < n && IsIdentifierPart(s[i])) i++;
                                if (i < n && s[i] is '\'' or '"' && StringPrefix(s, start, i - start, out var prefixed))
                                    i = Open(s, i, prefixed, open);
                            }
                            else i++;
                            break;
                    }
                    break;
                case Scan.FormatSpec:
                    if (c == '}') { open.RemoveAt(open.Count - 1); i++; }
                    else if (c == '{') { open.Add(new Frame(Scan.Field, '\0', top.Triple, false)); i++; }
                    else if (!top.Triple && c is '\n' or '\r') open.RemoveAt(open.Count - 1);
                    else i++;
                    break;
            }
        }
        LastSkipSteps = steps;
        return open.Count > 0 ? n : i;
    }

    /// <summary>Opens the string literal whose quote is at <paramref name="i"/>; returns the index after its opening quotes.</summary>
    private static int Open(string s, int i, bool formatted, List<Frame> open)
    {
        var quote = s[i];
        var triple = i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote;
        open.Add(new Frame(Scan.String, quote, triple, formatted));
        return i + (triple ? 3 : 1);
    }
}
