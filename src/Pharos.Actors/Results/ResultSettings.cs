using Pharos.Actors.Configuration;

namespace Pharos.Actors.Results;

/// <summary>What the cloud keeps of repository results, and the largest one it takes.</summary>
public sealed record ResultSettings
{
    public static readonly SettingsTable<ResultSettings> Table = new(new ResultSettings())
    {
        { Setting.Int("PHAROS_RESULTS_KEEP", "ResultsKeep", 1, 1, 100), (o, v) => o with { Keep = v } },
        { Setting.Int("PHAROS_MAX_RESULT_MB", "MaxResultMb", 256, 1, 512), (o, v) => o with { MaxResultMb = v } },
    };

    public static ResultSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private ResultSettings() { }

    /// <summary>Commits kept per repository, newest by trained_at; older ones go once a new one is stored.</summary>
    public int Keep { get; init; }
    /// <summary>The largest result bundle the cloud accepts, in MB (MiB); at most 512, the largest value Redis stores.</summary>
    public int MaxResultMb { get; init; }

    public long MaxResultBytes => MaxResultMb * 1024L * 1024L;
}
