using System.Globalization;
using System.Net;
using System.Text;

namespace TenantQuota.Api.Dashboard;

/// <param name="Cumulative">Usage by the end of each day from the period's first, up to today.</param>
/// <param name="Days">How many days the period has.</param>
/// <param name="Projected">Where the forecast ends the period, within <paramref name="Low"/>–<paramref name="High"/>; null: no forecast.</param>
public sealed record UsageLineData(
    string Id, string Title, string Summary, IReadOnlyList<decimal> Cumulative, int Days, decimal Limit,
    decimal? Projected, decimal? Low, decimal? High, string LimitLabel, string FirstDayLabel, string LastDayLabel);

/// <param name="Held">Drawn after <paramref name="Value"/>, lighter (reservations).</param>
/// <param name="Max">The full width; 0 to scale against the largest bar.</param>
/// <param name="Tone">ok, warn or over (<see cref="DashboardRules.Tone"/>).</param>
public sealed record SvgBar(string Label, decimal Value, decimal Held, decimal Max, string Tone, string ValueText);

/// <summary>
/// Charts as SVG text, drawn on the server: data in, markup out, every text HTML-encoded. Each is an image with a
/// title and a description that say its numbers; the page shows the same numbers in a table. The viewBox is about
/// a phone's width, so text stays legible there and scales up on wider screens.
/// </summary>
public static class SvgCharts
{
    private const int Width = 360, Height = 200, Left = 8, Right = 8, Top = 14, Bottom = 22;

    public static string UsageLine(UsageLineData data)
    {
        var days = Math.Max(1, data.Days);
        var top = new[] { data.Limit, data.High ?? 0, data.Projected ?? 0, data.Cumulative.DefaultIfEmpty(0).Max() }.Max();
        var max = top <= 0 ? 1 : top * 1.1m;
        double X(double day) => Left + (Width - Left - Right) * Math.Clamp(day / days, 0, 1);
        double Y(decimal value) => Top + (Height - Top - Bottom) * (1 - (double)(Math.Max(0, value) / max));

        var svg = Open(data.Id, data.Title, data.Summary, Height);
        svg.Append($"""<line class="axis" x1="{N(Left)}" y1="{N(Y(0))}" x2="{N(Width - Right)}" y2="{N(Y(0))}"/>""");
        if (data.Limit > 0)
        {
            svg.Append($"""<line class="limit" x1="{N(Left)}" y1="{N(Y(data.Limit))}" x2="{N(Width - Right)}" y2="{N(Y(data.Limit))}"/>""");
            svg.Append($"""<text class="label" x="{N(Left + 2)}" y="{N(Y(data.Limit) - 4)}">{E(data.LimitLabel)}</text>""");
        }
        var today = data.Cumulative.Count;
        var last = today == 0 ? 0 : data.Cumulative[^1];
        if (data.Projected is { } projected)
        {
            if (data.Low is { } low && data.High is { } high)
                svg.Append($"""<polygon class="band" points="{N(X(today))},{N(Y(last))} {N(X(days))},{N(Y(high))} {N(X(days))},{N(Y(low))}"/>""");
            svg.Append($"""<line class="forecast" data-projected="{data.Projected.Value.ToString(CultureInfo.InvariantCulture)}" x1="{N(X(today))}" y1="{N(Y(last))}" x2="{N(X(days))}" y2="{N(Y(projected))}"/>""");
        }
        var points = new StringBuilder($"{N(X(0))},{N(Y(0))}");
        for (var day = 0; day < today; day++) points.Append($" {N(X(day + 1))},{N(Y(data.Cumulative[day]))}");
        svg.Append($"""<polyline class="usage" points="{points}"/>""");
        svg.Append($"""<text class="label" x="{N(Left)}" y="{N(Height - 6)}">{E(data.FirstDayLabel)}</text>""");
        svg.Append($"""<text class="label" x="{N(Width - Right)}" y="{N(Height - 6)}" text-anchor="end">{E(data.LastDayLabel)}</text>""");
        return svg.Append("</svg>").ToString();
    }

    /// <summary>One horizontal bar per item, its label and value above it.</summary>
    public static string Bars(string id, string title, string summary, IReadOnlyList<SvgBar> bars)
    {
        const int row = 38, barHeight = 12;
        var height = Math.Max(1, bars.Count) * row + 4;
        var largest = bars.Select(b => b.Value + b.Held).DefaultIfEmpty(0).Max();
        var svg = Open(id, title, summary, height);
        var plot = Width - Left - Right;
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var full = bar.Max > 0 ? bar.Max : largest;
            double Share(decimal v) => full <= 0 ? 0 : Math.Clamp((double)(v / full), 0, 1);
            var y = i * row + 14;
            var used = plot * Share(bar.Value);
            var held = Math.Min(plot - used, plot * Share(bar.Held));
            svg.Append($"""<g class="bar {E(bar.Tone)}" data-label="{E(bar.Label)}" data-value="{bar.Value.ToString(CultureInfo.InvariantCulture)}">""");
            svg.Append($"""<text class="label" x="{N(Left)}" y="{N(y)}">{E(bar.Label)}</text>""");
            svg.Append($"""<text class="label" x="{N(Width - Right)}" y="{N(y)}" text-anchor="end">{E(bar.ValueText)}</text>""");
            svg.Append($"""<rect class="track" x="{N(Left)}" y="{N(y + 6)}" width="{N(plot)}" height="{barHeight}"/>""");
            svg.Append($"""<rect class="used" x="{N(Left)}" y="{N(y + 6)}" width="{N(used)}" height="{barHeight}"/>""");
            if (held > 0) svg.Append($"""<rect class="held" x="{N(Left + used)}" y="{N(y + 6)}" width="{N(held)}" height="{barHeight}"/>""");
            svg.Append("</g>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static StringBuilder Open(string id, string title, string summary, int height) =>
        new StringBuilder()
            .Append($"""<svg xmlns="http://www.w3.org/2000/svg" id="{E(id)}" class="chart" viewBox="0 0 {Width} {height}" role="img" aria-labelledby="{E(id)}-title {E(id)}-desc">""")
            .Append($"""<title id="{E(id)}-title">{E(title)}</title><desc id="{E(id)}-desc">{E(summary)}</desc>""");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
