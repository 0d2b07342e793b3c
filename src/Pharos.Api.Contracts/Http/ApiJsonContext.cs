using System.Text.Json.Serialization;

namespace Pharos.Api.Contracts.Http;

/// <summary>
/// The HTTP API's bodies described at compile time, first in <see cref="PharosJson"/>'s resolver chain: the first status
/// a node streams or the first job it lists costs no reflection over these types (about a tenth of a second at the
/// cloud node's start). Names and enums still follow <see cref="PharosJson.Configure"/>'s options at run time.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ClusterMembersDto))]
[JsonSerializable(typeof(ClusterActionDto))]
[JsonSerializable(typeof(ClusterEventDto))]
[JsonSerializable(typeof(JobDto))]
[JsonSerializable(typeof(JobListDto))]
[JsonSerializable(typeof(IngestAcceptedDto))]
[JsonSerializable(typeof(ImportedJobDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(JobResultDto))]
[JsonSerializable(typeof(RepoDto))]
[JsonSerializable(typeof(RepoListDto))]
[JsonSerializable(typeof(EmbeddingsDto))]
[JsonSerializable(typeof(SimilarDto))]
[JsonSerializable(typeof(WorkerStatusDto))]
[JsonSerializable(typeof(WebSocketTicketDto))]
[JsonSerializable(typeof(LegacyJobHistoryDto))]
[JsonSerializable(typeof(LegacyIngestResponseDto))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
