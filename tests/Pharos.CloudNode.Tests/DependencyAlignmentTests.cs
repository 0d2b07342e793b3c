using System.Xml.Linq;

namespace Pharos.CloudNode.Tests;

/// <summary>
/// Base + extension dependencies: every version lives once in Directory.Packages.props, each node adds only what it
/// needs, and a package that both nodes use must resolve to one version in both, so that a cloud and an edge built
/// from one commit agree on the wire and in the journal.
/// </summary>
public sealed class DependencyAlignmentTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pharos.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Pharos.sln not found above the test binaries.");
    }

    /// <summary>Package name → resolved version, from NuGet's restore output of a project.</summary>
    internal static IReadOnlyDictionary<string, string> ResolvedPackages(string projectDir)
    {
        var assets = Path.Combine(projectDir, "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: restore the solution first.");
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in document.RootElement.GetProperty("targets").EnumerateObject())
            foreach (var library in target.Value.EnumerateObject())
            {
                if (library.Value.GetProperty("type").GetString() != "package") continue;
                var (name, version) = (library.Name[..library.Name.IndexOf('/')], library.Name[(library.Name.IndexOf('/') + 1)..]);
                result[name] = version;
            }
        return result;
    }

    /// <summary>Packages both graphs hold at different versions, as "name: a vs b".</summary>
    internal static IReadOnlyList<string> Mismatches(IReadOnlyDictionary<string, string> cloud, IReadOnlyDictionary<string, string> edge) =>
        cloud.Where(p => edge.TryGetValue(p.Key, out var other) && other != p.Value)
            .Select(p => $"{p.Key}: cloud {p.Value} vs edge {edge[p.Key]}")
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Packages_both_nodes_use_resolve_to_the_same_version()
    {
        var cloud = ResolvedPackages(Path.Combine(Root, "src", "Pharos.CloudNode"));
        var edge = ResolvedPackages(Path.Combine(Root, "src", "Pharos.EdgeNode"));

        var shared = cloud.Keys.Intersect(edge.Keys, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Contains("Akka", shared);
        Assert.Contains("Akka.Cluster", shared);
        Assert.Empty(Mismatches(cloud, edge));
    }

    [Fact]
    public void The_check_sees_a_version_drift()
    {
        var cloud = new Dictionary<string, string> { ["Akka"] = "1.5.74", ["OnlyCloud"] = "1.0.0" };
        var edge = new Dictionary<string, string> { ["Akka"] = "1.5.73", ["OnlyEdge"] = "2.0.0" };
        Assert.Equal(["Akka: cloud 1.5.74 vs edge 1.5.73"], Mismatches(cloud, edge));
    }

    [Fact]
    public void Versions_are_named_only_in_Directory_Packages_props()
    {
        var projects = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));
        foreach (var project in projects)
        {
            var versioned = XDocument.Load(project).Descendants("PackageReference")
                .Where(r => r.Attribute("Version") is not null || r.Attribute("VersionOverride") is not null)
                .Select(r => r.Attribute("Include")?.Value);
            Assert.True(!versioned.Any(), $"{Path.GetRelativePath(Root, project)} names a version for {string.Join(", ", versioned)}.");
        }

        var central = XDocument.Load(Path.Combine(Root, "Directory.Packages.props"));
        var names = central.Descendants("PackageVersion").Select(p => p.Attribute("Include")!.Value).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Each_node_adds_only_what_it_needs()
    {
        var cloud = ResolvedPackages(Path.Combine(Root, "src", "Pharos.CloudNode"));
        var edge = ResolvedPackages(Path.Combine(Root, "src", "Pharos.EdgeNode"));
        // The embedded journal and the HTTP API description are the cloud's alone.
        Assert.Contains("Microsoft.Data.Sqlite", cloud.Keys);
        Assert.DoesNotContain("Akka.Persistence.Sql", cloud.Keys);
        Assert.DoesNotContain("linq2db", cloud.Keys);
        Assert.DoesNotContain("Microsoft.AspNetCore.OpenApi", edge.Keys);
    }
}
