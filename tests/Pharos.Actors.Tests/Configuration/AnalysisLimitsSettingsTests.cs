using Microsoft.Extensions.Configuration;
using Pharos.CodeGraph.Graph;

namespace Pharos.Actors.Tests.Configuration;

/// <summary>PHAROS_MAX_SOURCE_MB, PHAROS_MAX_EDGES and PHAROS_MAX_IMPORT_FANOUT: the edge's analysis limits, which reach
/// every worker.</summary>
public sealed class AnalysisLimitsSettingsTests
{
    private static PharosSettings Read(params (string Key, string Value)[] values) =>
        PharosSettings.From(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build());

    [Fact]
    public void Not_given_they_are_the_analysis_defaults()
    {
        Assert.Equal(AnalysisLimits.Default, Read().Edge.Analysis);
        Assert.Equal(AnalysisLimits.Default, EdgeSettings.Default.Analysis);
        Assert.Equal(AnalysisLimits.Default, WorkerSettings.From(Read(), 1).Analysis);
    }

    [Fact]
    public void Given_they_reach_each_worker_and_the_rest_stay_as_they_were()
    {
        var settings = Read(("PHAROS_MAX_SOURCE_MB", "3"), ("Pharos:MaxEdges", "1000"), ("PHAROS_MAX_IMPORT_FANOUT", "8"));
        var expected = AnalysisLimits.Default with { MaxSourceBytes = 3L * 1024 * 1024, MaxEdges = 1000, MaxImportFanOut = 8 };
        Assert.Equal(expected, settings.Edge.Analysis);
        Assert.Equal(expected, WorkerSettings.From(settings, 2).Analysis);
        Assert.Contains("MaxSourceMb = 3, MaxEdges = 1000, MaxImportFanOut = 8", settings.Edge.ToString());
    }

    [Theory]
    [InlineData("PHAROS_MAX_SOURCE_MB", "0")]
    [InlineData("PHAROS_MAX_SOURCE_MB", "half")]
    [InlineData("PHAROS_MAX_EDGES", "-1")]
    [InlineData("PHAROS_MAX_EDGES", "1e6")]
    [InlineData("PHAROS_MAX_IMPORT_FANOUT", "0")]
    public void A_malformed_value_names_its_variable(string key, string value)
    {
        var error = Assert.Throws<SettingsException>(() => Read((key, value)));
        Assert.Contains(key, error.Message);
    }
}
