using System.Text.Json.Serialization;

namespace Pharos.Messages;

/// <summary>Dispatch priority; higher goes first, FIFO within one priority.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Priority>))]
public enum Priority
{
    [JsonStringEnumMemberName("low")] Low = 0,
    [JsonStringEnumMemberName("normal")] Normal = 1,
    [JsonStringEnumMemberName("high")] High = 2,
}

public static class PriorityNames
{
    public static bool TryParse(string? text, out Priority priority)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "normal": priority = Priority.Normal; return true;
            case "low": priority = Priority.Low; return true;
            case "high": priority = Priority.High; return true;
            default: priority = Priority.Normal; return false;
        }
    }

    public static string ToName(this Priority priority) => priority switch
    {
        Priority.Low => "low",
        Priority.High => "high",
        _ => "normal",
    };
}
