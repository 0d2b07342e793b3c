using System.Globalization;

namespace Pharos.CodeGraph.Graph;

/// <summary>
/// How much one repository's analysis may hold: the repository is untrusted, so the bytes read and the edges made are
/// capped, and an import that names a namespace or package shared by very many files is not expanded into an edge to
/// each of them (those edges grow with the square of the files). Plain data, so that it travels as JSON with a job.
/// </summary>
public sealed record AnalysisLimits
{
    public const long DefaultMaxSourceBytes = 512L * 1024 * 1024;
    public const int DefaultMaxEdges = 5_000_000;
    public const int DefaultMaxImportFanOut = 64;
    public const long DefaultMaxFileBytes = 1024 * 1024;

    public static AnalysisLimits Default { get; } = new();

    /// <summary>Bytes of source files (and manifests) read in all; past it the analysis stops
    /// (<see cref="RepositoryTooLargeException"/>). Files over <see cref="MaxFileBytes"/> are skipped, not counted.</summary>
    public long MaxSourceBytes { get; init; } = DefaultMaxSourceBytes;

    /// <summary>Edges of the import graph; past it the analysis stops (<see cref="RepositoryTooLargeException"/>).</summary>
    public int MaxEdges { get; init; } = DefaultMaxEdges;

    /// <summary>An import that resolves to more files than this (a C# namespace, a Java wildcard package, a Go package)
    /// makes no edge: it counts once as a wide import (<see cref="ImportGraph.WideImports"/>).</summary>
    public int MaxImportFanOut { get; init; } = DefaultMaxImportFanOut;

    /// <summary>Files larger than this are not read (generated bundles, data dumps); a warning says so.</summary>
    public long MaxFileBytes { get; init; } = DefaultMaxFileBytes;

    /// <exception cref="ArgumentOutOfRangeException">A limit is not positive.</exception>
    public AnalysisLimits Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSourceBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEdges);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxImportFanOut);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        return this;
    }
}

/// <summary>
/// A repository holds more than <see cref="AnalysisLimits"/> allow: <see cref="Figure"/> of <see cref="Measure"/>
/// against <see cref="Limit"/>. Its message is meant for the job's error as it is.
/// </summary>
public sealed class RepositoryTooLargeException(string measure, long figure, long limit, string message) : Exception(message)
{
    /// <summary>"source bytes" or "edges".</summary>
    public string Measure { get; } = measure;
    public long Figure { get; } = figure;
    public long Limit { get; } = limit;

    public static RepositoryTooLargeException SourceBytes(long figure, long limit) => new("source bytes", figure, limit,
        $"The repository is too large to analyse: its source files hold {Number(figure)} bytes, over the limit of {Number(limit)}.");

    /// <summary>The analysis stops at the first edge past the limit, so <paramref name="figure"/> is how many it had made.</summary>
    public static RepositoryTooLargeException Edges(long figure, long limit) => new("edges", figure, limit,
        $"The repository is too large to analyse: its imports made {Number(figure)} edges, over the limit of {Number(limit)}.");

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
