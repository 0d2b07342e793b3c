using System.Reflection;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>
/// How a worker starts a job process: a Pharos node's own executable in its <c>job</c> mode
/// (<c>&lt;node&gt; job clone|analyze</c>), so an edge or a standalone cloud needs nothing installed beside itself.
/// </summary>
/// <param name="FileName">The program: the node's apphost, or the dotnet host running the node's assembly.</param>
/// <param name="Arguments">What comes before <c>job</c>: the node's assembly when run by the dotnet host.</param>
public sealed record JobRunner(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The assemblies whose entry point has the <c>job</c> mode, the lighter one first.</summary>
    public static readonly IReadOnlyList<string> NodeAssemblies = ["Pharos.EdgeNode", "Pharos.CloudNode"];

    private static readonly Lazy<JobRunner?> Found = new(Find);

    /// <summary>
    /// This process when it is a Pharos node; otherwise a node assembly beside this one (a test host's output
    /// folder holds them); null when there is neither.
    /// </summary>
    public static JobRunner? Current => Found.Value;

    /// <summary>Runs the node assembly <paramref name="assemblyPath"/> with the dotnet host.</summary>
    public static JobRunner OfAssembly(string assemblyPath) => new(DotnetHost(), [Path.GetFullPath(assemblyPath)]);

    private static JobRunner? Find()
    {
        var entry = Assembly.GetEntryAssembly();
        if (entry?.GetName().Name is { } name && NodeAssemblies.Contains(name))
        {
            var self = Environment.ProcessPath;
            // A published node is its own program (single-file publishing leaves the assembly's Location empty).
            if (self is not null && Path.GetFileNameWithoutExtension(self) == name) return new JobRunner(self, []);
            if (entry.Location.Length > 0) return OfAssembly(entry.Location);
        }
        return NodeAssemblies.Select(n => Path.Combine(AppContext.BaseDirectory, n + ".dll"))
            .Where(File.Exists)
            .Select(OfAssembly)
            .FirstOrDefault();
    }

    /// <summary>The dotnet host this process runs under, else the one the SDK names, else the one on PATH.</summary>
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
