namespace Pharos.Actors.Configuration;

/// <summary>How this process runs: where the cloud listens for HTTP, how it logs, and whether it also runs a worker.</summary>
public sealed record NodeSettings
{
    public const string LogFormatText = "text";
    public const string LogFormatJson = "json";

    public static readonly SettingsTable<NodeSettings> Table = new(new NodeSettings())
    {
        { Setting.Text("PHAROS_HTTP_URLS", "HttpUrls", "http://127.0.0.1:5080"), (o, v) => o with { HttpUrls = v } },
        { Setting.Choice("PHAROS_LOG_FORMAT", "LogFormat", LogFormatText, LogFormatText, LogFormatJson), (o, v) => o with { LogFormat = v } },
        { Setting.Bool("PHAROS_STANDALONE", "Standalone"), (o, v) => o with { Standalone = v } },
    };

    public static NodeSettings Default { get; } = Table.Defaults();

    // Set by every row of Table: Default and Table.Bind are the only ways to make one.
    private NodeSettings() { }

    /// <summary>The cloud's HTTP addresses, separated by commas.</summary>
    public string HttpUrls { get; init; } = null!;
    /// <summary>Console log format: <see cref="LogFormatText"/> or <see cref="LogFormatJson"/> (one JSON object a line).</summary>
    public string LogFormat { get; init; } = null!;
    /// <summary>The cloud also runs an edge worker in its own process.</summary>
    public bool Standalone { get; init; }
}
