namespace Pharos.Actors.Hosting;

/// <summary>What both nodes add to the command line their host builder reads.</summary>
public static class NodeHostArguments
{
    /// <summary>
    /// <paramref name="args"/>, with appsettings.json read once and not watched: settings are read once at start
    /// (<see cref="Configuration.PharosSettings"/>), and the default watcher puts an inotify watch on the working
    /// directory and every directory under it, which took seconds of the start (and thousands of watches) when a node
    /// was started from a large directory.
    /// </summary>
    public static string[] ReadSettingsOnce(IEnumerable<string> args) => [.. args, "--hostBuilder:reloadConfigOnChange=false"];
}
