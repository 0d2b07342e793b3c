using System.Diagnostics.CodeAnalysis;

namespace Pharos.CloudNode.Auth;

/// <summary>Reads an <c>Authorization</c> header value: RFC 7235 scheme "Bearer", RFC 6750 b64token.</summary>
public static class BearerHeader
{
    public const int MaxTokenLength = 512;

    /// <summary>
    /// The token of exactly "Bearer" + one space + a b64token of at most <see cref="MaxTokenLength"/> characters, or
    /// the failure (with the fingerprint of whatever was presented, null when nothing was).
    /// </summary>
    public static bool TryRead(string? header, out string token, [NotNullWhen(false)] out AuthResult? failure)
    {
        token = "";
        failure = null;
        if (header is null)
            return Fail(out failure, AuthFailureReason.MissingHeader, null);
        if (string.IsNullOrWhiteSpace(header))
            return Fail(out failure, AuthFailureReason.EmptyCredentials, null);

        // A lenient parse only to name the failure and fingerprint what was presented; acceptance below is strict.
        var trimmed = header.AsSpan().Trim();
        var separator = trimmed.IndexOfAny(' ', '\t');
        var scheme = separator < 0 ? trimmed : trimmed[..separator];
        var credentials = separator < 0 ? ReadOnlySpan<char>.Empty : trimmed[(separator + 1)..].Trim();

        if (!scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            // No space at all is most likely a bare token sent without its scheme: fingerprint it for correlation.
            return Fail(out failure, AuthFailureReason.WrongScheme, TokenHash.Fingerprint(credentials.IsEmpty ? trimmed : credentials));
        if (credentials.IsEmpty)
            return Fail(out failure, AuthFailureReason.EmptyCredentials, null);

        // Exactly "Bearer" + one space + b64token; anything else (tabs, padding, extra spaces) is malformed.
        var value = header.AsSpan();
        if (value.Length <= 7 || !value[..6].Equals("Bearer", StringComparison.OrdinalIgnoreCase) || value[6] != ' ')
            return Fail(out failure, AuthFailureReason.Malformed, TokenHash.Fingerprint(credentials));
        var presented = value[7..];
        if (presented.Length > MaxTokenLength || !IsB64Token(presented))
            return Fail(out failure, AuthFailureReason.Malformed, TokenHash.Fingerprint(credentials));

        token = header[7..];
        return true;
    }

    /// <summary>True when <paramref name="token"/> is an RFC 6750 b64token: <c>[A-Za-z0-9\-._~+/]+=*</c>.</summary>
    public static bool IsB64Token(ReadOnlySpan<char> token)
    {
        var body = token.TrimEnd('=');
        if (body.IsEmpty) return false;
        foreach (var c in body)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
                return false;
        }
        return true;
    }

    private static bool Fail(out AuthResult? failure, AuthFailureReason reason, string? fingerprint)
    {
        failure = AuthResult.Failure(reason, fingerprint);
        return false;
    }
}
