using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Pharos.Actors.Ingest;

namespace Pharos.Actors.Edge.Git;

/// <summary>
/// Makes a clone's error fit to show in a job's status: no token or URL credentials, no internal address (which
/// would map the edge's network for whoever submitted the repository), no control or formatting characters (the
/// server's text is in there), and at most <see cref="MaxLength"/> characters.
/// </summary>
internal static partial class CloneErrors
{
    public const int MaxLength = 500;
    public const string InternalAddress = "<internal address>";

    public static CloneFailedException Sanitized(CloneFailedException e, string? token) =>
        new(Sanitize(e.Message, token), e.Transient, e.InnerException, e.Kind);

    public static string Sanitize(string text, string? token)
    {
        text = Redact(text, token);
        var plain = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var category = char.GetUnicodeCategory(c);
            plain.Append(char.IsControl(c) || category is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
                ? ' ' : c);
        }
        text = Spaces().Replace(plain.ToString(), " ").Trim();
        text = Candidates().Replace(text, m => IsInternal(m.Value) ? InternalAddress : m.Value);
        // Once more: cleaning may have joined what the first pass saw apart.
        text = Redact(text, token);
        if (text.Length <= MaxLength) return text;
        var cut = MaxLength - 1;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + "…";
    }

    /// <summary>Removes user information from URLs and the token from any text.</summary>
    public static string Redact(string text, string? token)
    {
        if (!string.IsNullOrEmpty(token)) text = text.Replace(token, "***", StringComparison.Ordinal);
        return UserInfo().Replace(text, "***@");
    }

    private static bool IsInternal(string candidate)
    {
        var text = candidate.Trim('[', ']');
        return IPAddress.TryParse(text, out var address) && InternalAddresses.IsInternal(address);
    }

    [GeneratedRegex(@"(?<=://)[^/@\s]+@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Spaces();

    // IPv6 (at least two colons, maybe a dotted IPv4 tail or a zone; bare or in brackets) or dotted IPv4 (not inside
    // a longer run of dotted numbers). Each is parsed before it is replaced, so times, versions and "a::b" stay.
    private const string V6 = @"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?:%[0-9A-Za-z]+)?";

    [GeneratedRegex(@"\[" + V6 + @"\]|(?<![\w:.])" + V6 + @"(?!\w|:[0-9A-Fa-f])|(?<!\d|\d\.)\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)")]
    private static partial Regex Candidates();
}
