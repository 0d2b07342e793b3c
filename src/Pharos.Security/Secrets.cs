using System.Security.Cryptography;

namespace Pharos.Security;

/// <summary>The secrets Pharos makes (tokens, certificate passwords) and how it keeps them on disk.</summary>
public static class Secrets
{
    /// <summary>32 random bytes as unpadded base64url: 43 characters, a valid RFC 6750 bearer token.</summary>
    public static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Written readable by its owner only, from the first byte; an existing file is an error, not replaced.</summary>
    public static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
    }
}
