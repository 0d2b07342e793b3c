using System.Text.Json.Serialization;

namespace Pharos.Api.Contracts;

/// <summary>Dispatch priority; higher goes first, FIFO within one priority.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<Priority>))]
public enum Priority
{
    Low = 0,
    Normal = 1,
    High = 2,
}

public static class PriorityNames
{
    /// <summary>A submission's priority: absent or empty is normal; case and surrounding spaces do not matter.</summary>
    public static bool TryParse(string? text, out Priority priority)
    {
        priority = Priority.Normal;
        return string.IsNullOrWhiteSpace(text) || WireNames.TryParse(text.Trim().ToLowerInvariant(), out priority);
    }
}
