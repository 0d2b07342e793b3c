using System.Text.Json;
using System.Text.Json.Serialization;
using Pharos.Actors.Results;
using Pharos.Api.Contracts;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.Actors.Edge.Jobs;

/// <summary>The stage a job process runs: the word after <c>job</c> on its command line.</summary>
public enum JobKind
{
    Clone,
    Analyze,
}

/// <summary>Parse, train and store one checked-out repository; the result goes into the outbox at <paramref name="OutboxRoot"/>.</summary>
/// <param name="Analysis">What the parsing may hold; null: <see cref="AnalysisLimits.Default"/>.</param>
/// <param name="Ref">The ref the task asked for, which the result records (null: the default branch).</param>
public sealed record AnalyzeOrder(string RepositoryDirectory, string RepoUrl, string CommitSha, string TaskId, string LeaseId,
    double CloneSeconds, Node2VecOptions Training, string OutboxRoot, AnalysisLimits? Analysis = null, string? Ref = null);

/// <summary>An analysis that finished: the result is whole in the outbox.</summary>
public sealed record AnalyzeResult(int FilesProcessed, int Edges, double FinalLoss, OutboxEntry Result);

/// <summary>Parsing, training or storing moved on.</summary>
public sealed record StageProgress(JobStage Stage, double Fraction, string Message);

/// <summary>Why a job process failed. <paramref name="Transient"/>: trying again later may succeed (a network error).</summary>
public sealed record JobError(JobReason Reason, string Message, bool Transient = false);

/// <summary>
/// One line a job process writes on its standard output, exactly one member set: progress while it runs, then its
/// result or its error as the last line. The order goes the other way, as one line on its standard input, which
/// stays open: the process ends when it closes (its worker is gone).
/// </summary>
public sealed record JobLine
{
    public CloneProgress? Cloning { get; init; }
    public StageProgress? Progress { get; init; }
    public CloneResult? Cloned { get; init; }
    public AnalyzeResult? Analyzed { get; init; }
    public JobError? Error { get; init; }

    [JsonIgnore]
    public bool IsFinal => Cloned is not null || Analyzed is not null || Error is not null;
}

/// <summary>The one way both ends of the pipe write and read orders and lines.</summary>
public static class JobJson
{
    /// <summary>A line longer than this is not one the job process writes: the process is treated as crashed.</summary>
    public const int MaxLineChars = 1 << 20;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Line<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string line) =>
        JsonSerializer.Deserialize<T>(line, Options) ?? throw new JsonException("the line is null");

    public static string Name(this JobKind kind) => kind.ToString().ToLowerInvariant();
}
