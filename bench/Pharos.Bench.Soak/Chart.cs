using ScottPlot;
using SkiaSharp;

namespace Pharos.Bench.Soak;

/// <summary>
/// The series drawn with ScottPlot: one panel per measure, stacked, time in minutes on x, one line per backend, the
/// warm-up shaded. Written as PNG and SVG (Skia's SVG canvas).
/// </summary>
public static class Chart
{
    private const int Width = 1100;
    private const int PanelHeight = 250;

    private static readonly (string Title, string Unit, Func<Sample, double> Value)[] Panels =
    [
        ("RSS of the cloud node", "MB", s => s.RssMb),
        ("GC heap (dotnet_total_memory_bytes)", "MB", s => s.GcHeapMb),
        ("journal rows", "rows", s => s.JournalRows),
        ("storage (SQLite: pharos.db + -wal + -shm; Redis: used_memory)", "MB", s => s.StorageMb),
        ("request latency p99 over the last 10 s", "ms", s => s.P99Ms),
    ];

    private static readonly Color[] Palette = [Colors.C0, Colors.C1, Colors.C2, Colors.C3];

    public static void Draw(IReadOnlyList<Sample> samples, string[] backends, double warmupMinutes, string title, string png, string svg)
    {
        // Skia's native library for Linux here is the one without fontconfig: name a font file it can read.
        foreach (var file in (string[])["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"])
            if (File.Exists(file))
            {
                Fonts.AddFontFile("DejaVu Sans", file);
                Fonts.Default = "DejaVu Sans";
            }

        var multiplot = new Multiplot();
        multiplot.AddPlots(Panels.Length);
        var maxMinutes = Math.Max(samples.Max(s => s.Minutes), 1e-3);
        for (var p = 0; p < Panels.Length; p++)
        {
            var (panelTitle, unit, value) = Panels[p];
            var plot = multiplot.GetPlot(p);
            var span = plot.Add.HorizontalSpan(0, warmupMinutes);
            span.FillStyle.Color = Colors.Gray.WithAlpha(0.18);
            span.LineStyle.Width = 0;
            span.LegendText = p == 0 ? $"warm-up ({warmupMinutes:0.##} min)" : "";
            for (var b = 0; b < backends.Length; b++)
            {
                var points = samples.Where(s => s.Backend == backends[b] && !double.IsNaN(value(s))).OrderBy(s => s.Minutes).ToArray();
                if (points.Length == 0) continue;
                var line = plot.Add.Scatter(points.Select(s => s.Minutes).ToArray(), points.Select(value).ToArray());
                line.Color = Palette[b % Palette.Length];
                line.LineWidth = 2;
                line.MarkerSize = points.Length > 60 ? 0 : 4;
                line.LegendText = backends[b];
            }
            plot.Title(p == 0 ? $"{title}: {panelTitle}" : panelTitle, size: 14);
            plot.YLabel(unit, size: 12);
            plot.XLabel(p == Panels.Length - 1 ? "minutes since the churn started" : "", size: 12);
            plot.Axes.SetLimitsX(0, maxMinutes);
            plot.Axes.AutoScaleY();
            // Every panel from zero: a drift reads as a share of the level, not as a wall.
            var limits = plot.Axes.GetLimits();
            plot.Axes.SetLimitsY(Math.Min(0, limits.Bottom), limits.Top <= 0 ? 1 : limits.Top * 1.08);
            plot.ShowLegend(Alignment.LowerRight);
            // The same margins in every panel, so that their time axes line up.
            plot.Layout.Fixed(new PixelPadding(left: 90, right: 25, bottom: p == Panels.Length - 1 ? 55 : 35, top: 40));
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();

        var height = PanelHeight * Panels.Length;
        multiplot.SavePng(png, Width, height);
        using var stream = File.Create(svg);
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, height), stream))
            multiplot.Render(canvas, new PixelRect(0, Width, height, 0));
    }
}
