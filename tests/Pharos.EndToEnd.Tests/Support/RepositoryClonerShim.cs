namespace Pharos.Actors.Edge;

/// <summary>
/// The one member of Pharos.Actors that the linked GitServers.cs uses (to delete repositories, whose pack files git
/// writes read-only). These tests reference no product assembly: the nodes run as processes.
/// </summary>
internal static class RepositoryCloner
{
    internal static void DeleteDirectory(string path)
    {
        if (!Directory.Exists(path)) return;
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is null && (entry.Attributes & FileAttributes.ReadOnly) != 0)
                entry.Attributes &= ~FileAttributes.ReadOnly;
        }
        Directory.Delete(path, recursive: true);
    }
}
