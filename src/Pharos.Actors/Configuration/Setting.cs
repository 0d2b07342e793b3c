using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Pharos.Actors.Configuration;

/// <summary>
/// One setting: its environment variable (<c>MAX_QUEUE_SIZE</c>), its appsettings key under <c>Pharos:</c>
/// (<c>Pharos:MaxQueueSize</c>), its default and how its text becomes a value. The environment variable wins; a blank
/// value counts as unset. The factories below are the only parsers; each area's <see cref="SettingsTable{TOptions}"/>
/// lists its settings.
/// </summary>
public abstract class Setting(string variable, string key)
{
    public const string Section = "Pharos";

    public string Variable { get; } = variable;
    /// <summary>The key under <see cref="Section"/> in appsettings.json.</summary>
    public string Key { get; } = key;

    /// <summary>The default as an operator would write it (<c>10</c>, <c>false</c>, <c>a,b</c>); null when there is none.</summary>
    public abstract string? DefaultText { get; }

    /// <summary>The trimmed text given for this setting, or null.</summary>
    public string? Given(IConfiguration configuration)
    {
        var value = configuration[Variable];
        if (string.IsNullOrWhiteSpace(value)) value = configuration[$"{Section}:{Key}"];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public override string ToString() => Variable;

    // A parser throws FormatException with what follows the variable's name in the message ("must be ...; got 'x'.").

    public static Setting<int> Int(string variable, string key, int @default, int min, int max) =>
        new(variable, key, @default, text => ParseInt(text, min, max));

    /// <summary>A whole number with no default of its own (null: the caller decides, e.g. by role).</summary>
    public static Setting<int?> OptionalInt(string variable, string key, int min, int max) =>
        new(variable, key, null, text => ParseInt(text, min, max));

    /// <summary>A duration written as whole seconds.</summary>
    public static Setting<TimeSpan> Seconds(string variable, string key, int @default, int min, int max) =>
        new(variable, key, TimeSpan.FromSeconds(@default), text => TimeSpan.FromSeconds(ParseInt(text, min, max)),
            value => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture));

    public static Setting<bool> Bool(string variable, string key) =>
        new(variable, key, false, text => text.ToLowerInvariant() switch
        {
            "false" or "0" or "no" => false,
            "true" or "1" or "yes" => true,
            _ => throw new FormatException($"must be true or false; got '{text}'."),
        });

    public static Setting<string?> Text(string variable, string key) => new(variable, key, null, text => text);

    public static Setting<string> Text(string variable, string key, string @default) => new(variable, key, @default, text => text);

    /// <summary>One of <paramref name="choices"/>, compared without case.</summary>
    public static Setting<string> Choice(string variable, string key, string @default, params string[] choices) =>
        new(variable, key, @default, text =>
        {
            var value = text.ToLowerInvariant();
            return choices.Contains(value) ? value : throw new FormatException($"must be {Alternatives(choices, "or")}; got '{value}'.");
        });

    /// <summary>Items separated by commas, each trimmed and read by <paramref name="item"/>; empty items are skipped.</summary>
    public static Setting<IReadOnlyList<T>> List<T>(string variable, string key, IReadOnlyList<T> @default, Func<string, T> item) =>
        new(variable, key, @default, text => text
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(item).ToArray());

    /// <summary>"a, b and c": how a message lists the values a setting may take.</summary>
    public static string Alternatives(IReadOnlyList<string> values, string conjunction) =>
        values.Count < 2 ? string.Join("", values) : $"{string.Join(", ", values.Take(values.Count - 1))} {conjunction} {values[^1]}";

    private static int ParseInt(string text, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"must be a whole number from {min} to {max}; got '{text}'.");
}

/// <summary>A <see cref="Setting"/> whose value is a <typeparamref name="T"/>.</summary>
public sealed class Setting<T>(string variable, string key, T @default, Func<string, T> parse, Func<T, string?>? format = null)
    : Setting(variable, key)
{
    public T Default { get; } = @default;

    public override string? DefaultText => (format ?? FormatValue)(Default);

    /// <summary>The given value, or <see cref="Default"/>; a value that does not parse is a <see cref="SettingsException"/>.</summary>
    public T Read(IConfiguration configuration)
    {
        if (Given(configuration) is not { } text) return Default;
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new SettingsException($"{Variable} {e.Message}");
        }
    }

    private static string? FormatValue(T value) => value switch
    {
        null => null,
        bool flag => flag ? "true" : "false",
        string text => text,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => string.Join(",", items.Cast<object>()),
        _ => value.ToString(),
    };
}

/// <summary>
/// The settings of one area, each with the option it sets: <c>{ Setting.Int("MAX_QUEUE_SIZE", ...), (o, v) => o with
/// { MaxQueueSize = v } }</c>. Rows apply in order, so a row may check its value against the rows above it.
/// </summary>
public sealed class SettingsTable<TOptions>(TOptions empty) : IEnumerable<Setting>
{
    private readonly List<(Setting Setting, Func<TOptions, IConfiguration?, TOptions> Apply)> _rows = [];

    public void Add<T>(Setting<T> setting, Func<TOptions, T, TOptions> set) =>
        _rows.Add((setting, (options, configuration) => set(options, configuration is null ? setting.Default : setting.Read(configuration))));

    /// <summary>Every option at its default.</summary>
    public TOptions Defaults() => _rows.Aggregate(empty, (options, row) => row.Apply(options, null));

    /// <summary>Every option read from <paramref name="configuration"/>; the first malformed value throws.</summary>
    public TOptions Bind(IConfiguration configuration) => _rows.Aggregate(empty, (options, row) => row.Apply(options, configuration));

    public IEnumerator<Setting> GetEnumerator() => _rows.Select(row => row.Setting).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A setting is missing or malformed; the message names the variable and is shown to the operator.</summary>
public sealed class SettingsException(string message) : Exception(message);
