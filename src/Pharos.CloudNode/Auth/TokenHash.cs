using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// SHA-256 of a token's UTF-8 bytes: what PHAROS_TOKENS_FILE stores, what presented tokens are compared by, and the
/// fingerprint (its first 8 hex digits) that logs show instead of the token.
/// </summary>
public static class TokenHash
{
    /// <summary>The first 8 lowercase hex digits of the token's SHA-256: safe to log, enough to correlate.</summary>
    public static string Fingerprint(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Fingerprint(token.AsSpan());
    }

    /// <summary>The lowercase hex SHA-256 of the token's UTF-8 bytes, as written to PHAROS_TOKENS_FILE.</summary>
    public static string Sha256Hex(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(Hash(token));
    }

    internal static string Fingerprint(ReadOnlySpan<char> token)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        return FingerprintOf(hash);
    }

    internal static string FingerprintOf(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..4]);

    internal static byte[] Hash(ReadOnlySpan<char> token)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(token, hash);
        return hash;
    }

    internal static void Hash(ReadOnlySpan<char> token, Span<byte> destination)
    {
        // The pooled buffer is wiped before it goes back, so no token bytes linger in shared memory.
        var maxLength = Encoding.UTF8.GetMaxByteCount(token.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            var length = Encoding.UTF8.GetBytes(token, buffer);
            SHA256.HashData(buffer.AsSpan(0, length), destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, maxLength));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
