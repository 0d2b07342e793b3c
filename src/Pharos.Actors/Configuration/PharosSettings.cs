using Microsoft.Extensions.Configuration;
using Pharos.Actors.Edge;
using Pharos.Actors.Ingest;
using Pharos.Actors.Queue;
using Pharos.Actors.Results;

namespace Pharos.Actors.Configuration;

/// <summary>
/// Every Pharos setting, by area. Each area's table names, once, a setting's environment variable
/// (<c>MAX_QUEUE_SIZE</c>), its appsettings key (<c>Pharos:MaxQueueSize</c>), its default and its range; the
/// environment variable wins. A value that does not parse is a <see cref="SettingsException"/> naming the variable,
/// never a silent default.
/// </summary>
public sealed record PharosSettings
{
    public NodeSettings Node { get; init; } = NodeSettings.Default;
    public ClusterMemberSettings Cluster { get; init; } = ClusterMemberSettings.Default;
    public StorageSettings Storage { get; init; } = StorageSettings.Default;
    public AuthSettings Auth { get; init; } = AuthSettings.Default;
    public RepoUrlPolicy Repositories { get; init; } = RepoUrlPolicy.Default;
    public QueueSettings Queue { get; init; } = QueueSettings.Default;
    public EdgeSettings Edge { get; init; } = EdgeSettings.Default;
    public ResultSettings Results { get; init; } = ResultSettings.Default;

    /// <summary>Every setting of every area: what the README and the .env examples document.</summary>
    public static IReadOnlyList<Setting> All { get; } =
    [
        .. NodeSettings.Table, .. ClusterMemberSettings.Table, .. StorageSettings.Table, .. AuthSettings.Table,
        .. RepoUrlPolicy.Table, .. QueueSettings.Table, .. EdgeSettings.Table, .. ResultSettings.Table,
    ];

    public static PharosSettings From(IConfiguration configuration) => new()
    {
        Node = NodeSettings.Table.Bind(configuration),
        Cluster = ClusterMemberSettings.Table.Bind(configuration),
        Storage = StorageSettings.Table.Bind(configuration),
        Auth = AuthSettings.Table.Bind(configuration),
        Repositories = RepoUrlPolicy.Table.Bind(configuration),
        Queue = QueueSettings.Table.Bind(configuration),
        Edge = EdgeSettings.Table.Bind(configuration),
        Results = ResultSettings.Table.Bind(configuration),
    };
}
