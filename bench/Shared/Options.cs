using System.Globalization;

namespace Pharos.Bench;

/// <summary>A failure a bench reports in one line (exit code 3) instead of a stack trace.</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary>
/// A bench program's <c>--name value</c> pairs (a name alone is "true"); a name given several times keeps every value,
/// in order, and reads as its last. One file, linked into every bench project.
/// </summary>
public sealed class Options
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new BenchException($"unexpected argument '{args[i]}'");
            var name = args[i][2..];
            var value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
            if (!options._values.TryGetValue(name, out var list)) options._values[name] = list = [];
            list.Add(value);
        }
        return options;
    }

    public string? Get(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];
    public string Required(string name) => Get(name) ?? throw new BenchException($"--{name} is required");
    public string Text(string name, string fallback) => Get(name) ?? fallback;

    public int Int(string name, int fallback) =>
        Get(name) is { } text ? ParseInt(name, text) : fallback;

    public double Double(string name, double fallback) =>
        Get(name) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new BenchException($"--{name} must be a number")
            : fallback;

    /// <summary>A comma-separated list of whole numbers.</summary>
    public IReadOnlyList<int> Ints(string name, string fallback) =>
        [.. Text(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => ParseInt(name, t))];

    private static int ParseInt(string name, string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new BenchException($"--{name}: '{text}' is not a whole number");
}
