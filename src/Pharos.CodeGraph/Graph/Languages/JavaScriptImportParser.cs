namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>
/// Finds the module specifiers a JavaScript or TypeScript file imports: static <c>import … from '…'</c> in every
/// form (default, named, namespace, <c>type</c>), side-effect <c>import '…'</c>, <c>export … from '…'</c>,
/// <c>require('…')</c> and <c>import('…')</c> with a string literal. A tokenizer keeps comments, strings,
/// template literals (their <c>${…}</c> parts are code again) and regular expression literals out of the way; a
/// '/' starts a regular expression where an operand is expected (after an operator or opening bracket, after
/// <c>return</c>, <c>typeof</c> and similar keywords, or at the start).
/// </summary>
internal static class JavaScriptImportParser
{
    internal enum Kind : byte { Identifier, String, Template, Punct, Number, Regex }

    /// <summary>A token; for strings and substitution-free templates, Start/Length cover the contents only.</summary>
    internal readonly record struct Token(Kind Kind, int Start, int Length, char Punct = '\0');

    private static readonly HashSet<string> RegexAfterKeywords = new(StringComparer.Ordinal)
    {
        "return", "typeof", "case", "do", "else", "in", "instanceof", "new", "delete", "void", "throw", "yield", "await", "of",
    };

    // Looked up by the identifier's span: no string is made for each '/' after a name.
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> RegexAfterKeyword =
        RegexAfterKeywords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Steps (characters and tokens read) the last <see cref="Tokenize"/> or <see cref="Parse"/> on this thread
    /// took: linear in the text, by construction; the properties check it.</summary>
    [ThreadStatic] internal static long LastSteps;

    // Not after "<": in JSX, "</div>" is a closing tag far more often than "a < /re/" is a comparison.
    private const string RegexAfterPunct = "(,=:[!&|?{};+-*%>~^";

    public static IReadOnlyList<string> Parse(string text)
    {
        var tokens = Tokenize(text);
        var steps = LastSteps;
        var specifiers = new List<string>();
        for (var t = 0; t < tokens.Count; t++)
        {
            steps++;
            var token = tokens[t];
            if (token.Kind != Kind.Identifier) continue;
            if (t > 0 && tokens[t - 1] is { Kind: Kind.Punct, Punct: '.' }) continue; // obj.import, obj.require

            if (Is(text, token, "import"))
            {
                var next = At(tokens, t + 1);
                if (next is { Kind: Kind.Punct, Punct: '(' })
                {
                    // import('x') or import('x', { with: … })
                    if (IsStringLike(At(tokens, t + 2)) && At(tokens, t + 3) is { Kind: Kind.Punct, Punct: ')' or ',' })
                    {
                        specifiers.Add(Contents(text, tokens[t + 2]));
                    }
                }
                else if (next.Kind == Kind.String)
                {
                    specifiers.Add(Contents(text, next));
                }
                else if (FromClause(text, tokens, t + 1, ref steps) is { } specifier)
                {
                    specifiers.Add(specifier);
                }
            }
            else if (Is(text, token, "export"))
            {
                var k = t + 1;
                if (Is(text, At(tokens, k), "type")) k++;
                if (At(tokens, k) is { Kind: Kind.Punct, Punct: '*' or '{' } && FromClause(text, tokens, k, ref steps) is { } specifier)
                {
                    specifiers.Add(specifier);
                }
            }
            else if (Is(text, token, "require")
                && At(tokens, t + 1) is { Kind: Kind.Punct, Punct: '(' }
                && IsStringLike(At(tokens, t + 2))
                && At(tokens, t + 3) is { Kind: Kind.Punct, Punct: ')' })
            {
                specifiers.Add(Contents(text, tokens[t + 2]));
            }
        }
        LastSteps = steps;
        return specifiers;
    }

    /// <summary>Reads an import/export clause from <paramref name="k"/> (names, <c>{…}</c>, <c>* as n</c>,
    /// commas, <c>type</c>) up to <c>from '…'</c>; null when something else comes first.</summary>
    private static string? FromClause(string text, List<Token> tokens, int k, ref long steps)
    {
        for (var read = 0; k < tokens.Count && read < 64; read++)
        {
            steps++;
            var token = tokens[k];
            if (token.Kind == Kind.Identifier)
            {
                if (Is(text, token, "from") && At(tokens, k + 1).Kind == Kind.String) return Contents(text, tokens[k + 1]);
                if (Is(text, token, "import") || Is(text, token, "export")) return null;
                k++;
                continue;
            }
            if (token is { Kind: Kind.Punct, Punct: ',' or '*' })
            {
                k++;
                continue;
            }
            if (token is { Kind: Kind.Punct, Punct: '{' })
            {
                // Named bindings: names, 'as', commas, string names, until the matching brace.
                k++;
                while (k < tokens.Count && tokens[k] is not { Kind: Kind.Punct, Punct: '}' })
                {
                    steps++;
                    if (tokens[k] is not ({ Kind: Kind.Identifier or Kind.String } or { Kind: Kind.Punct, Punct: ',' })) return null;
                    k++;
                }
                k++;
                continue;
            }
            return null;
        }
        return null;
    }

    private static bool IsStringLike(Token token) => token.Kind is Kind.String;

    private static Token At(List<Token> tokens, int t) => t < tokens.Count ? tokens[t] : new Token(Kind.Punct, 0, 0, ';');

    private static bool Is(string text, Token token, string word) =>
        token.Kind == Kind.Identifier && token.Length == word.Length && string.CompareOrdinal(text, token.Start, word, 0, word.Length) == 0;

    private static string Contents(string text, Token token) => text.Substring(token.Start, token.Length);

    internal static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>(s.Length / 5);
        var n = s.Length;
        var i = 0;
        long steps = 0;
        var braces = 0;
        // Brace depth at which each open template's ${ … } closes: templates nest in their substitutions as deep as the
        // input says, so they are tracked here, never on the thread's stack.
        var templates = new Stack<int>();
        while (i < n)
        {
            steps++;
            var c = s[i];
            if (c is ' ' or '\t' or '\r' or '\n' or '\f' or '\v' || (c > 127 && char.IsWhiteSpace(c)))
            {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < n && s[i + 1] == '/')
            {
                while (i < n && s[i] != '\n' && s[i] != '\r')
                {
                    steps++;
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < n && s[i + 1] == '*')
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = LexerText.Counted(ref steps, i, end < 0 ? n : end + 2);
                continue;
            }
            if (c is '\'' or '"')
            {
                var start = i + 1;
                i = start;
                while (i < n && s[i] != c && s[i] != '\n' && s[i] != '\r')
                {
                    steps++;
                    i += s[i] == '\\' ? 2 : 1;
                }
                if (i > n) i = n;
                tokens.Add(new Token(Kind.String, start, i - start));
                if (i < n && s[i] == c) i++;
                continue;
            }
            if (c == '`')
            {
                i = ScanTemplate(s, i + 1, tokens, templates, braces, ref steps);
                continue;
            }
            if (c == '}' && templates.Count > 0 && templates.Peek() == braces)
            {
                templates.Pop();
                i = ScanTemplate(s, i + 1, tokens, templates, braces, ref steps, continuation: true);
                continue;
            }
            if (c == '/' && RegexAllowed(s, tokens))
            {
                i = LexerText.Counted(ref steps, i, SkipRegex(s, i + 1));
                tokens.Add(new Token(Kind.Regex, i, 0));
                continue;
            }
            if (char.IsAsciiLetter(c) || c is '_' or '$' || (c > 127 && char.IsLetter(c)))
            {
                var start = i;
                while (i < n && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '$' || (s[i] > 127 && char.IsLetterOrDigit(s[i])))) i++;
                LexerText.Counted(ref steps, start, i);
                tokens.Add(new Token(Kind.Identifier, start, i - start));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < n && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '.')) i++;
                LexerText.Counted(ref steps, start, i);
                tokens.Add(new Token(Kind.Number, start, i - start));
                continue;
            }
            if (c == '{') braces++;
            else if (c == '}' && braces > 0) braces--;
            tokens.Add(new Token(Kind.Punct, i, 1, c));
            i++;
        }
        LastSteps = steps;
        return tokens;
    }

    /// <summary>Scans template text from <paramref name="i"/> (after '`' or after a substitution's '}') to the closing
    /// '`' or to a '${', whose expression the main loop then tokenizes as code.</summary>
    private static int ScanTemplate(string s, int i, List<Token> tokens, Stack<int> templates, int braces, ref long steps,
        bool continuation = false)
    {
        var start = i;
        var n = s.Length;
        while (i < n)
        {
            steps++;
            var c = s[i];
            if (c == '\\')
            {
                i += 2;
                continue;
            }
            if (c == '`')
            {
                // A template without substitutions reads like a string literal: require(`./x`).
                tokens.Add(continuation ? new Token(Kind.Template, start, i - start) : new Token(Kind.String, start, i - start));
                return i + 1;
            }
            if (c == '$' && i + 1 < n && s[i + 1] == '{')
            {
                tokens.Add(new Token(Kind.Template, start, i - start));
                tokens.Add(new Token(Kind.Punct, i, 2, '{')); // '${': an operand comes next
                templates.Push(braces);
                return i + 2;
            }
            i++;
        }
        tokens.Add(new Token(Kind.Template, start, Math.Min(i, n) - start));
        return n;
    }

    private static bool RegexAllowed(string s, List<Token> tokens)
    {
        if (tokens.Count == 0) return true;
        var last = tokens[^1];
        return last.Kind switch
        {
            Kind.Punct => RegexAfterPunct.Contains(last.Punct),
            Kind.Identifier => RegexAfterKeyword.Contains(s.AsSpan(last.Start, last.Length)),
            _ => false,
        };
    }

    /// <summary>Skips a regular expression literal body from after its opening '/', flags included.</summary>
    private static int SkipRegex(string s, int i)
    {
        var n = s.Length;
        var inClass = false;
        while (i < n)
        {
            var c = s[i];
            if (c is '\n' or '\r') return i; // not a regex after all: give up at the line end
            if (c == '\\')
            {
                i += 2;
                continue;
            }
            if (c == '[') inClass = true;
            else if (c == ']') inClass = false;
            else if (c == '/' && !inClass)
            {
                i++;
                while (i < n && char.IsAsciiLetter(s[i])) i++;
                return i;
            }
            i++;
        }
        return n;
    }
}
