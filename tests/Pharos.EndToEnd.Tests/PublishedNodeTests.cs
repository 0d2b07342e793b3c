using System.Reflection.PortableExecutable;

namespace Pharos.EndToEnd.Tests;

/// <summary>
/// The cloud node as deploy/publish ships it: published with the framework-dependent linux-x64 profile into a folder
/// of its own, started from there by its own executable (as the systemd unit does), it takes a task that an edge
/// completes.
/// </summary>
public sealed class PublishedNodeTests(ITestOutputHelper output) : GitBedTest(output, http: false)
{
    private const string Profile = "framework-dependent-linux-x64";

    [Fact]
    public async Task The_published_cloud_node_runs_from_its_folder_and_completes_a_task()
    {
        var folder = TempDirectories.Create("pharos-e2e-published-");
        try
        {
            var project = Path.Combine(Pharos.Testing.Nodes.NodeBinaries.RepositoryRoot, "src", "Pharos.CloudNode", "Pharos.CloudNode.csproj");
            // The publish builds the cloud node's projects again in the profile's own folders and compiles them ahead of
            // time. Only Pharos's own assemblies are precompiled here (PharosReadyToRunOwnOnly, deploy/publish/Publish.props):
            // crossgen over every dependency took minutes of a core. This class starts first (LongestFirst), beside the others.
            var (exit, log) = await Commands.RunAsync("dotnet", "publish", project, $"-p:PublishProfile={Profile}", $"-p:PublishDir={folder}/",
                "-p:PharosReadyToRunOwnOnly=true", "--nologo");
            Assert.True(exit == 0, $"dotnet publish ({exit}):\n{log}");

            var executable = Path.Combine(folder, "Pharos.CloudNode");
            Assert.True(File.Exists(executable), $"{executable} is missing");
            Assert.True(File.Exists(Path.Combine(folder, "hocon", "pharos.base.hocon")));
            Assert.Empty(Directory.GetFiles(folder, "*.pdb"));
            // Precompiled (ReadyToRun), as the profile says: the start does not wait for the JIT.
            Assert.True(IsReadyToRun(Path.Combine(folder, "Pharos.Actors.dll")), "Pharos.Actors.dll carries no ReadyToRun code");
            Assert.False(IsReadyToRun(Path.Combine(folder, "Akka.dll")), "Akka.dll was precompiled although only Pharos's own assemblies were asked for");
            // The journal is Pharos's own SQLite plugin: nothing of Akka.Persistence.Sql's stack ships.
            Assert.Empty(Directory.GetFiles(folder, "linq2db*.dll").Concat(Directory.GetFiles(folder, "LanguageExt*.dll")));

            Sources.CreateRealRepository("nx-published");
            var cloud = await Bed.StartCloudAsync(name: "published-cloud", executable: executable);
            var edge = await Bed.StartIdleEdgeAsync(cloud, Scenarios.QuickTraining);
            var id = await cloud.SubmitAsync(Sources.Daemon!.UrlFor("nx-published"));
            var job = await cloud.WaitForFinalAsync(id, diagnostics: () => Bed.Diagnostics(), abort: edge.AbortIfExited);
            Assert.True(job.Status() == "completed", $"job ended {job.Status()}: {job.GetRawText()}");
            Assert.True(File.Exists(Path.Combine(cloud.DataDir, "pharos.db")));
        }
        finally
        {
            TempDirectories.Delete(folder);
        }
    }

    private static bool IsReadyToRun(string assembly)
    {
        using var reader = new PEReader(File.OpenRead(assembly));
        return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }
}
