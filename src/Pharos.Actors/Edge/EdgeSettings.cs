using Pharos.Actors.Configuration;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.Actors.Edge;

/// <summary>What an edge node's workers do: how many, the clone's credential and limits, what an analysis may hold,
/// and Node2Vec's size.</summary>
public sealed record EdgeSettings
{
    // Node2Vec's and the analysis' own defaults are the edge's defaults.
    private static readonly Node2VecOptions Training = new();
    private static readonly AnalysisLimits Limits = AnalysisLimits.Default;
    private const long Megabyte = 1024 * 1024;

    public static readonly SettingsTable<EdgeSettings> Table = new(new EdgeSettings())
    {
        { Setting.Int("PHAROS_WORKERS", "Workers", 1, 1, 64), (o, v) => o with { Workers = v } },
        { Setting.Text("PHAROS_GIT_TOKEN", "GitToken"), (o, v) => o with { GitToken = v } },
        { Setting.List("PHAROS_GIT_TOKEN_HOSTS", "GitTokenHosts", ["github.com"], host => host.ToLowerInvariant()),
            (o, v) => o with { GitTokenHosts = v } },
        { Setting.Int("PHAROS_MAX_REPO_MB", "MaxRepoMb", 1024, 1, 1_048_576), (o, v) => o with { MaxRepoMb = v } },
        { Setting.Int("PHAROS_MAX_FILES", "MaxFiles", 100_000, 1, 100_000_000), (o, v) => o with { MaxFiles = v } },
        { Setting.Int("PHAROS_MAX_CHECKOUT_MB", "MaxCheckoutMb", 2048, 1, 1_048_576), (o, v) => o with { MaxCheckoutMb = v } },
        { Setting.Seconds("PHAROS_CLONE_TIMEOUT_SECONDS", "CloneTimeoutSeconds", 600, 1, 86_400), (o, v) => o with { CloneTimeout = v } },
        { Setting.Seconds("PHAROS_ANALYZE_TIMEOUT_SECONDS", "AnalyzeTimeoutSeconds", 1800, 1, 604_800), (o, v) => o with { AnalyzeTimeout = v } },
        { Setting.Int("PHAROS_JOB_MEMORY_MB", "JobMemoryMb", 2048, 64, 1_048_576), (o, v) => o with { JobMemoryMb = v } },
        { Setting.Seconds("PHAROS_JOB_SPARE_SECONDS", "JobSpareSeconds", 600, 0, 86_400), (o, v) => o with { JobSpareTime = v } },
        { Setting.Int("PHAROS_TRAIN_EPOCHS", "TrainEpochs", Training.Epochs, 1, 10_000), (o, v) => o with { TrainEpochs = v } },
        { Setting.Int("PHAROS_TRAIN_DIMENSIONS", "TrainDimensions", Training.Dimensions, 2, Node2VecOptionsValidation.MaxDimensions),
            (o, v) => o with { TrainDimensions = v } },
        { Setting.Int("PHAROS_TRAIN_THREADS", "TrainThreads", 0, 0, 1024), (o, v) => o with { TrainThreads = v } },
        { Setting.Int("PHAROS_MAX_SOURCE_MB", "MaxSourceMb", (int)(Limits.MaxSourceBytes / Megabyte), 1, 1_048_576),
            (o, v) => o with { Analysis = o.Analysis with { MaxSourceBytes = v * Megabyte } } },
        { Setting.Int("PHAROS_MAX_EDGES", "MaxEdges", Limits.MaxEdges, 1, 1_000_000_000),
            (o, v) => o with { Analysis = o.Analysis with { MaxEdges = v } } },
        { Setting.Int("PHAROS_MAX_IMPORT_FANOUT", "MaxImportFanOut", Limits.MaxImportFanOut, 1, 1_000_000),
            (o, v) => o with { Analysis = o.Analysis with { MaxImportFanOut = v } } },
    };

    public static EdgeSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private EdgeSettings() { }

    /// <summary>Workers on this edge node, each running one task at a time.</summary>
    public int Workers { get; init; }
    /// <summary>The https credential for private repositories; never printed.</summary>
    public string? GitToken { get; init; }
    /// <summary>The hosts <see cref="GitToken"/> is sent to (over https only), lower case.</summary>
    public IReadOnlyList<string> GitTokenHosts { get; init; } = null!;
    public int MaxRepoMb { get; init; }
    /// <summary>Entries (files and directories) a repository's tree may have; refused before checkout past it.</summary>
    public int MaxFiles { get; init; }
    /// <summary>MB a repository's files may hold once checked out; refused before checkout past it.</summary>
    public int MaxCheckoutMb { get; init; }
    public TimeSpan CloneTimeout { get; init; }
    /// <summary>Wall time of a task's parse, train and store stage, in its job process.</summary>
    public TimeSpan AnalyzeTimeout { get; init; }
    /// <summary>Resident memory of one job process (a clone or an analysis).</summary>
    public int JobMemoryMb { get; init; }
    /// <summary>How long a job process started ahead of its order waits to be used; zero: none is started ahead.</summary>
    public TimeSpan JobSpareTime { get; init; }
    /// <summary>Node2Vec epochs, dimensions and threads (0: one per core) on this edge node.</summary>
    public int TrainEpochs { get; init; }
    public int TrainDimensions { get; init; }
    public int TrainThreads { get; init; }
    /// <summary>Source bytes, edges and import fan-out one repository's analysis may reach.</summary>
    public AnalysisLimits Analysis { get; init; } = AnalysisLimits.Default;

    public long MaxRepoBytes => MaxRepoMb * 1024L * 1024L;
    public long MaxCheckoutBytes => MaxCheckoutMb * 1024L * 1024L;
    public long JobMemoryBytes => JobMemoryMb * 1024L * 1024L;

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Workers = {Workers}, GitToken = {(GitToken is null ? "off" : "on")}, GitTokenHosts = [{string.Join(", ", GitTokenHosts)}], ");
        builder.Append($"MaxRepoMb = {MaxRepoMb}, MaxFiles = {MaxFiles}, MaxCheckoutMb = {MaxCheckoutMb}, ");
        builder.Append($"CloneTimeout = {CloneTimeout}, AnalyzeTimeout = {AnalyzeTimeout}, JobMemoryMb = {JobMemoryMb}, JobSpareTime = {JobSpareTime}, Train = {TrainEpochs} epochs x {TrainDimensions} dimensions, ");
        builder.Append($"MaxSourceMb = {Analysis.MaxSourceBytes / Megabyte}, MaxEdges = {Analysis.MaxEdges}, MaxImportFanOut = {Analysis.MaxImportFanOut}");
        return true;
    }
}
