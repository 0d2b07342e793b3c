using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Pharos.Api.Contracts;

/// <summary>The one JSON shape Pharos uses: on the wire between nodes, in the journal, in the HTTP API and in the CLI.</summary>
public static class PharosJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Applies Pharos's conventions to options that ASP.NET Core or a test owns.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        // The API's bodies from compile-time metadata, everything else (the journal's events, messages between nodes) by
        // reflection, as before.
        if (options.TypeInfoResolverChain.Count == 0) options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        options.TypeInfoResolverChain.Insert(0, Http.ApiJsonContext.Default);
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General);
        Configure(options);
        options.MakeReadOnly();
        return options;
    }
}
