using Pharos.Security;

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
        var token = Secrets.NewToken();
        // An empty file left by an interrupted start is replaced by a new one, readable by its owner only.
        File.Delete(path);
        Secrets.WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(token));
        created = true;
        return token;
    }
}
