using Pharos.Actors.Configuration;
using Pharos.Actors.Edge.Jobs;
using Pharos.CodeGraph.Graph;
using Pharos.CodeGraph.Training;

namespace Pharos.Actors.Edge;

/// <summary>What a WorkerActor and its children need of <see cref="PharosSettings"/>.</summary>
/// <param name="GitToken">The https credential; never logged (see <see cref="PrintMembers"/>).</param>
public sealed record WorkerSettings(
    string WorkerId,
    string DataDir,
    string? GitToken,
    long MaxRepoBytes,
    TimeSpan CloneTimeout,
    Node2VecOptions Training)
{
    /// <summary>Transient clone failures (network, 5xx) are tried again this many times.</summary>
    public int CloneRetries { get; init; } = 3;
    /// <summary>The first retry waits this long; each further one twice as long.</summary>
    public TimeSpan CloneRetryBackoff { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Live status is published on every stage change and at most this often in between.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Progress within a stage renews the lease at most this often.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Wall time of the parse, train and store stage.</summary>
    public TimeSpan AnalyzeTimeout { get; init; } = EdgeSettings.Default.AnalyzeTimeout;
    /// <summary>Resident memory of one job process.</summary>
    public long JobMemoryBytes { get; init; } = EdgeSettings.Default.JobMemoryBytes;
    /// <summary>What starts the job processes the clone and the analysis run in; null where there is nothing to start.</summary>
    public JobRunner? JobRunner { get; init; } = JobRunner.Current;
    /// <summary>What one repository's analysis may hold (source bytes, edges, import fan-out).</summary>
    public AnalysisLimits Analysis { get; init; } = AnalysisLimits.Default;

    /// <summary>How long a spare job process waits to be used before it ends; zero: none is started ahead.</summary>
    public TimeSpan JobSpareTime { get; init; } = EdgeSettings.Default.JobSpareTime;

    /// <summary>The limits of a <paramref name="kind"/> job process: this worker's memory and threads, the stage's timeout.</summary>
    public JobLimits JobLimits(JobKind kind) => new(JobMemoryBytes, kind == JobKind.Clone ? CloneTimeout : AnalyzeTimeout, Training.Threads);

    /// <summary>Runs <paramref name="order"/> in a <paramref name="kind"/> job process under this worker's limits (a spare if one waits).</summary>
    public Task<JobLine> RunJobAsync(JobKind kind, string order, Action<JobLine> progress, CancellationToken ct) =>
        JobProcess.RunAsync(JobRunner, kind, order, JobLimits(kind), progress, ct, takeSpare: JobSpareTime > TimeSpan.Zero);

    /// <summary>Starts the next <paramref name="kind"/> job process now, to warm up until its order comes (<see cref="JobSpares"/>).</summary>
    public void PrepareJob(JobKind kind) => JobSpares.Prepare(JobRunner, kind, JobLimits(kind), JobSpareTime);

    /// <summary>The hosts <see cref="GitToken"/> is sent to, over https only.</summary>
    public IReadOnlyList<string> GitTokenHosts { get; init; } = EdgeSettings.Default.GitTokenHosts;
    /// <summary>Entries a repository's tree may have, and bytes its files may hold, before checkout.</summary>
    public int MaxFiles { get; init; } = EdgeSettings.Default.MaxFiles;
    public long MaxCheckoutBytes { get; init; } = EdgeSettings.Default.MaxCheckoutBytes;
    /// <summary>Clones may connect to loopback and other internal addresses (PHAROS_ALLOW_LOCAL_REPOS).</summary>
    public bool AllowInternalAddresses { get; init; }

    /// <summary>
    /// What a clone of <paramref name="repoUrl"/> into <paramref name="targetDirectory"/> gets of these settings.
    /// Without <paramref name="useCredentials"/> (the submitting token's grant) the token is not even in the request.
    /// </summary>
    public CloneRequest CloneRequestFor(string repoUrl, string targetDirectory, bool useCredentials = true) =>
        new(repoUrl, targetDirectory, MaxRepoBytes, CloneTimeout, useCredentials ? GitToken : null)
        {
            UseCredentials = useCredentials,
            TokenHosts = GitTokenHosts,
            AllowInternalAddresses = AllowInternalAddresses,
            MaxFiles = MaxFiles,
            MaxCheckoutBytes = MaxCheckoutBytes,
        };

    public string WorkRoot => Path.Combine(Path.GetFullPath(DataDir), "work");
    /// <summary>Results waiting for the cloud (<see cref="Results.Outbox"/>).</summary>
    public string OutboxRoot => Path.Combine(Path.GetFullPath(DataDir), "outbox");

    /// <summary>
    /// Stable across restarts of the same edge (machine, data directory, index), so that a restarted worker's
    /// registration voids the leases its previous incarnation held at once, rather than after the lease timeout;
    /// distinct for two edges on one machine, which each have a data directory of their own.
    /// </summary>
    public static string StableWorkerId(string dataDir, int index)
    {
        var directory = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir)));
        return $"{Environment.MachineName.ToLowerInvariant()}-{Convert.ToHexString(directory)[..6].ToLowerInvariant()}-{index}";
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"WorkerId = {WorkerId}, DataDir = {DataDir}, GitToken = {(GitToken is null ? "off" : "***")}, ");
        builder.Append($"MaxRepoBytes = {MaxRepoBytes}, CloneTimeout = {CloneTimeout}, GitTokenHosts = [{string.Join(", ", GitTokenHosts)}], ");
        builder.Append($"MaxFiles = {MaxFiles}, MaxCheckoutBytes = {MaxCheckoutBytes}, AllowInternalAddresses = {AllowInternalAddresses}");
        return true;
    }

    /// <summary>The settings of this node's worker number <paramref name="index"/> (from 1).</summary>
    public static WorkerSettings From(PharosSettings settings, int index) => new(
        StableWorkerId(settings.Storage.DataDir, index),
        settings.Storage.DataDir, settings.Edge.GitToken, settings.Edge.MaxRepoBytes, settings.Edge.CloneTimeout,
        new Node2VecOptions
        {
            Epochs = settings.Edge.TrainEpochs,
            Dimensions = settings.Edge.TrainDimensions,
            Threads = settings.Edge.TrainThreads > 0 ? settings.Edge.TrainThreads : Environment.ProcessorCount,
        })
    {
        AnalyzeTimeout = settings.Edge.AnalyzeTimeout,
        JobMemoryBytes = settings.Edge.JobMemoryBytes,
        JobSpareTime = settings.Edge.JobSpareTime,
        GitTokenHosts = settings.Edge.GitTokenHosts,
        MaxFiles = settings.Edge.MaxFiles,
        MaxCheckoutBytes = settings.Edge.MaxCheckoutBytes,
        AllowInternalAddresses = settings.Repositories.AllowLocalRepos,
        Analysis = settings.Edge.Analysis,
    };
}
