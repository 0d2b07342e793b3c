namespace Pharos.Actors.Ingest;

/// <summary>
/// Which refs a task may name: a branch or tag (short, as <c>main</c> or <c>v1.2</c>, or full, as
/// <c>refs/heads/main</c>) or a full commit SHA (40 hexadecimal digits, 64 in a SHA-256 repository). Stricter than
/// git's own rules (<c>git check-ref-format</c>): ASCII letters, digits and <c>/ . _ - +</c> only, so that a ref is
/// never an option, a revision expression or anything a log or a shell could misread.
/// </summary>
public static class GitRefSyntax
{
    public const int MaxLength = 200;

    /// <summary>Null when <paramref name="gitRef"/> may be asked for; otherwise why not, fit to show the client.</summary>
    public static string? Problem(string gitRef)
    {
        if (gitRef.Length == 0) return "ref must not be empty (leave it out for the repository's default branch).";
        if (gitRef.Length > MaxLength) return $"ref must be at most {MaxLength} characters.";
        if (!gitRef.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+'))
            return "ref may hold only ASCII letters, digits and / . _ - +.";
        if (gitRef[0] is '-' or '/' or '.' || gitRef[^1] is '/' or '.' || gitRef.EndsWith(".lock", StringComparison.Ordinal)
            || gitRef.Contains("//", StringComparison.Ordinal) || gitRef.Contains("..", StringComparison.Ordinal)
            || gitRef.Contains("/.", StringComparison.Ordinal) || gitRef.Split('/').Any(part => part.EndsWith(".lock", StringComparison.Ordinal)))
            return "ref is not a valid branch, tag or commit name.";
        return null;
    }

    /// <summary>A full commit SHA (SHA-1 or SHA-256), rather than a branch or tag name.</summary>
    public static bool IsCommitSha(string gitRef) => gitRef.Length is 40 or 64 && gitRef.All(char.IsAsciiHexDigit);
}
