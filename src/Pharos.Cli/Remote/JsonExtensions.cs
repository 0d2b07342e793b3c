namespace Pharos.Cli.Remote;

/// <summary>
/// Lenient reading of JSON that is not the API's (the original queue's items: the API's bodies are read as DTOs), and
/// `--json`'s indented printing.
/// </summary>
internal static class JsonExtensions
{
    public static JsonElement? Get(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static string? Str(this JsonElement element, string name) => element.Get(name) switch
    {
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } value => value.GetRawText(),
        _ => null,
    };

    // Relaxed escaping: the server's text stays as it was ("+00:00", not "\u002B00:00"); this is printed, not embedded in HTML.
    private static readonly JsonSerializerOptions IndentedOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>A JSON document indented for people, as `--json` prints it.</summary>
    public static string Indented(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(document.RootElement, IndentedOptions);
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
