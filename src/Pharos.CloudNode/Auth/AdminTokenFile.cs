using System.Security.Cryptography;

namespace Pharos.CloudNode.Auth;

/// <summary>
/// The standalone node's admin token when none is configured: made once, kept in
/// <c>PHAROS_DATA_DIR/admin-token</c> readable by its owner only, and never printed.
/// </summary>
public static class AdminTokenFile
{
    public const string FileName = "admin-token";

    /// <summary>The token in the file, created first when the file is missing or empty.</summary>
    public static string LoadOrCreate(string dataDir, out string path, out bool created)
    {
        path = Path.Combine(Path.GetFullPath(dataDir), FileName);
        created = false;
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing) return existing;

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options)) writer.Write(token);
        // An empty file that existed keeps its mode on Create: make sure nobody else can read the new token.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        created = true;
        return token;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
