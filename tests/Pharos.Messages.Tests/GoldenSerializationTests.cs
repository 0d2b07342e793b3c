using System.Text.Json;
using Akka.Actor;
using Pharos.Messages.Serialization;

namespace Pharos.Messages.Tests;

/// <summary>
/// Bytes written by an earlier release must keep deserializing. Each persisted manifest has a checked-in sample;
/// a missing one fails the run (set PHAROS_WRITE_GOLDEN=1 once to write new samples, never to rewrite old ones).
/// </summary>
public sealed class GoldenSerializationTests : IDisposable
{
    private static readonly string GoldenDir = Path.Combine(AppContext.BaseDirectory, "Golden");
    private readonly ActorSystem _system = ActorSystem.Create("golden");
    private readonly PharosSerializer _serializer;

    public GoldenSerializationTests() => _serializer = new PharosSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    public static TheoryData<string> PersistedManifests()
    {
        var data = new TheoryData<string>();
        foreach (var (manifest, type) in MessageManifests.All)
            if (typeof(IPersistedEvent).IsAssignableFrom(type) || manifest.StartsWith("queue-snapshot.", StringComparison.Ordinal))
                data.Add(manifest);
        return data;
    }

    [Theory]
    [MemberData(nameof(PersistedManifests))]
    public void Golden_sample_of_every_persisted_manifest_still_deserializes(string manifest)
    {
        Assert.True(Samples.Persisted.ContainsKey(manifest), $"Add a sample of {manifest} to Samples.Persisted.");
        var path = Path.Combine(GoldenDir, manifest + ".json");
        var source = Path.Combine(SourceGoldenDir(), manifest + ".json");
        if (!File.Exists(path) && Environment.GetEnvironmentVariable("PHAROS_WRITE_GOLDEN") == "1" && !File.Exists(source))
            File.WriteAllBytes(source, _serializer.ToBinary(Samples.Persisted[manifest]));
        Assert.True(File.Exists(path) || File.Exists(source), $"No golden sample for {manifest}: run once with PHAROS_WRITE_GOLDEN=1 and commit {source}.");

        var golden = File.ReadAllBytes(File.Exists(path) ? path : source);
        var restored = _serializer.FromBinary(golden, manifest);

        Assert.IsType(MessageManifests.TypeOf(manifest), restored);
        Assert.Equal(Canonical(Samples.Persisted[manifest]), Canonical(restored));
    }

    [Fact]
    public void Every_manifest_names_a_version()
    {
        foreach (var (manifest, _) in MessageManifests.All)
            Assert.Matches(@"^[a-z0-9-]+\.v[0-9]+$", manifest);
    }

    private static string Canonical(object value) => JsonSerializer.Serialize(value, value.GetType(), PharosJson.Options);

    private static string SourceGoldenDir()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pharos.Messages.Tests.csproj"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "Golden");
    }
}
