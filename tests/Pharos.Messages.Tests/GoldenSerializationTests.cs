using System.Text.Json;
using System.Text.Json.Nodes;
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

    public static TheoryData<string> GoldenFiles() => [.. Samples.Golden.Keys];

    /// <summary>
    /// Reading is not enough: what this release writes must be what the golden file holds, byte for byte, or (for a
    /// sample written before a field was added) the same fields with the same values, and only null fields besides.
    /// </summary>
    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void Every_golden_sample_is_still_written_as_its_golden_file(string name)
    {
        var sample = Samples.Golden[name];
        var written = _serializer.ToBinary(sample);
        var source = Path.Combine(SourceGoldenDir(), name + ".json");
        var path = Path.Combine(GoldenDir, name + ".json");
        if (!File.Exists(path) && Environment.GetEnvironmentVariable("PHAROS_WRITE_GOLDEN") == "1" && !File.Exists(source))
            File.WriteAllBytes(source, written);
        Assert.True(File.Exists(path) || File.Exists(source),
            $"No golden sample {name}: run once with PHAROS_WRITE_GOLDEN=1 and commit {source}.");
        var golden = File.ReadAllBytes(File.Exists(path) ? path : source);

        var restored = _serializer.FromBinary(golden, MessageManifests.For(sample.GetType()));
        Assert.Equal(Canonical(sample), Canonical(restored));
        if (golden.AsSpan().SequenceEqual(written)) return;
        AssertSameFieldsOrAddedNulls(JsonNode.Parse(golden), JsonNode.Parse(written), "$");
    }

    private static void AssertSameFieldsOrAddedNulls(JsonNode? golden, JsonNode? written, string at)
    {
        switch (golden, written)
        {
            case (JsonObject g, JsonObject w):
                Assert.Equal(g.Select(p => p.Key), w.Select(p => p.Key).Where(g.ContainsKey));
                foreach (var (key, value) in w)
                    if (g.TryGetPropertyValue(key, out var old)) AssertSameFieldsOrAddedNulls(old, value, $"{at}.{key}");
                    else Assert.True(value is null, $"{at}.{key} is written but not in the golden file, and is not null");
                break;
            case (JsonArray g, JsonArray w):
                Assert.Equal(g.Count, w.Count);
                for (var i = 0; i < g.Count; i++) AssertSameFieldsOrAddedNulls(g[i], w[i], $"{at}[{i}]");
                break;
            default:
                Assert.True(JsonNode.DeepEquals(golden, written),
                    $"{at}: golden {golden?.ToJsonString()}, written {written?.ToJsonString()}");
                break;
        }
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
