using System.Globalization;
using System.Text;

namespace Pharos.Cli.Remote;

/// <summary>How the remote commands show times, durations, progress and tables.</summary>
internal static class Format
{
    public const int BarWidth = 10;

    public static string Bar(double? progress)
    {
        var fraction = Math.Clamp(progress ?? 0, 0, 1);
        var filled = (int)Math.Round(fraction * BarWidth);
        return $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {Math.Round(fraction * 100),3:0}%";
    }

    public static string Seconds(double? seconds) => seconds switch
    {
        null => "-",
        < 60 => $"{seconds.Value.ToString("0.0", CultureInfo.InvariantCulture)} s",
        < 3600 => $"{(int)(seconds.Value / 60)} min {(int)(seconds.Value % 60)} s",
        _ => $"{(int)(seconds.Value / 3600)} h {(int)(seconds.Value % 3600 / 60)} min",
    };

    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>Columns padded to their widest cell; the last column is not padded.</summary>
    public static void Table(TextWriter output, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Line(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder();
            for (var i = 0; i < cells.Count; i++)
            {
                if (i > 0) line.Append("  ");
                line.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i]));
            }
            output.WriteLine(line.ToString().TrimEnd());
        }
        Line(header);
        foreach (var row in rows) Line(row);
    }

    public static void Json(TextWriter output, string text) => output.WriteLine(JsonExtensions.Indented(text));

    public static string Inline(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? "" : element.GetRawText();
}
