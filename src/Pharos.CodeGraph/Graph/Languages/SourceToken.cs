namespace Pharos.CodeGraph.Graph.Languages;

/// <summary>What a hand-written lexer saw: a name, a string literal, one punctuation character, or anything else
/// (numbers, character literals) that only separates the tokens around it.</summary>
internal enum TokenKind
{
    Identifier,
    String,
    Punctuation,
    Other,
}

/// <summary>One token of a cleaned source text: comments and preprocessor lines are gone. <see cref="Text"/> is the
/// name, the punctuation character, or a string literal's (lightly decoded) content.</summary>
internal readonly record struct SourceToken(TokenKind Kind, string Text)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsPunctuation(char c) => Kind == TokenKind.Punctuation && Text.Length == 1 && Text[0] == c;

    public bool IsIdentifier(string text) => Kind == TokenKind.Identifier && Text == text;
}

/// <summary>Character tests and skips shared by the C-family lexers. Every skip returns an index in [start, length],
/// so an unterminated comment or literal simply runs to the end of the text, and reads each character it passes once.</summary>
internal static class LexerText
{
    /// <summary>Counts a skip from <paramref name="from"/> to <paramref name="to"/> as the characters it read (those it
    /// passed and the one that stopped it) and returns <paramref name="to"/>: how the lexers keep their step counters.</summary>
    public static int Counted(ref long steps, int from, int to)
    {
        steps += Math.Max(0, to - from) + 1;
        return to;
    }

    /// <summary>The one-character strings of ASCII, made once: a file of a million brackets makes a million tokens,
    /// not a million strings as well.</summary>
    private static readonly string[] AsciiText = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    public static string TextOf(char c) => c < AsciiText.Length ? AsciiText[c] : c.ToString();

    public static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_';

    public static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>From a "//": the index of the line's end (the '\n' itself stays for the caller).</summary>
    public static int SkipLineComment(string text, int i)
    {
        var end = text.IndexOf('\n', i);
        return end < 0 ? text.Length : end;
    }

    /// <summary>From a "/*": the index just after the closing "*/", or the text's end.</summary>
    public static int SkipBlockComment(string text, int i)
    {
        var end = i + 2 <= text.Length ? text.IndexOf("*/", i + 2, StringComparison.Ordinal) : -1;
        return end < 0 ? text.Length : end + 2;
    }

    /// <summary>From an opening quote <paramref name="quote"/>: the end of a one-line literal with backslash escapes
    /// (just after its closing quote, or at the line's end when it is unterminated); its content goes to
    /// <paramref name="content"/> with escapes reduced to the escaped character.</summary>
    public static int SkipEscapedLiteral(string text, int i, char quote, System.Text.StringBuilder? content)
    {
        var j = i + 1;
        while (j < text.Length)
        {
            var c = text[j];
            if (c == quote) return j + 1;
            if (c == '\n') return j;
            if (c == '\\' && j + 1 < text.Length)
            {
                content?.Append(text[j + 1]);
                j += 2;
                continue;
            }
            content?.Append(c);
            j++;
        }
        return text.Length;
    }

    /// <summary>A number or other run of identifier characters (and dots inside numbers): the index after it.</summary>
    public static int SkipNumber(string text, int i)
    {
        var j = i;
        while (j < text.Length && (IsIdentifierPart(text[j]) || (text[j] == '.' && j + 1 < text.Length && char.IsDigit(text[j + 1]))))
            j++;
        return Math.Max(j, i + 1);
    }

    /// <summary>
    /// The tail every tokenizer shares, once comments, strings and language-specific forms are handled: an identifier
    /// (with '$' inside where the language allows it), a number, or a single punctuation character. Returns the index
    /// after the token.
    /// </summary>
    public static int AddPlainToken(string text, int i, List<SourceToken> tokens, bool dollarInIdentifiers = false)
    {
        var c = text[i];
        if (IsIdentifierStart(c) || (dollarInIdentifiers && c == '$'))
        {
            var end = i + 1;
            while (end < text.Length && (IsIdentifierPart(text[end]) || (dollarInIdentifiers && text[end] == '$'))) end++;
            tokens.Add(new SourceToken(TokenKind.Identifier, text[i..end]));
            return end;
        }
        if (char.IsDigit(c))
        {
            tokens.Add(new SourceToken(TokenKind.Other, "0"));
            return SkipNumber(text, i);
        }
        tokens.Add(new SourceToken(TokenKind.Punctuation, TextOf(c)));
        return i + 1;
    }

    public static int SkipIdentifier(string text, int i)
    {
        var j = i;
        while (j < text.Length && IsIdentifierPart(text[j])) j++;
        return Math.Max(j, i + 1);
    }

    /// <summary>The directory part of a '/'-separated path: "" for a file at the root.</summary>
    public static string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    public static string FileNameOf(string path) => path[(path.LastIndexOf('/') + 1)..];

    /// <summary>Joins a directory ("" for the root) and a relative path.</summary>
    public static string Join(string directory, string relative) =>
        directory.Length == 0 ? relative : relative.Length == 0 ? directory : directory + "/" + relative;

    /// <summary>Files grouped by the directory directly holding them.</summary>
    public static Dictionary<string, List<string>> ByDirectory(IEnumerable<string> paths)
    {
        var byDirectory = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var directory = DirectoryOf(path);
            if (!byDirectory.TryGetValue(directory, out var list)) byDirectory[directory] = list = [];
            list.Add(path);
        }
        return byDirectory;
    }
}
