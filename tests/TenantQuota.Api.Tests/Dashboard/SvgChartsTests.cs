using System.Xml.Linq;
using TenantQuota.Api.Dashboard;

namespace TenantQuota.Api.Tests.Dashboard;

public sealed class SvgChartsTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static UsageLineData Line(decimal[] cumulative, decimal? projected = 80, string title = "Usage") =>
        new("usage", title, "30 used of 100", cumulative, 30, 100, projected, projected - 20, projected + 20, "Limit 100", "Nov 1", "Nov 30");

    [Fact]
    public void The_usage_line_is_an_image_named_by_its_title_and_summary()
    {
        var svg = XElement.Parse(SvgCharts.UsageLine(Line([10, 20, 30])));

        Assert.Equal(("img", "usage-title usage-desc"), ((string)svg.Attribute("role")!, (string)svg.Attribute("aria-labelledby")!));
        Assert.Equal("Usage", svg.Element(Svg + "title")!.Value);
        Assert.Equal("30 used of 100", svg.Element(Svg + "desc")!.Value);
    }

    [Fact]
    public void The_usage_line_starts_at_zero_and_has_a_point_per_day_so_far()
    {
        var svg = XElement.Parse(SvgCharts.UsageLine(Line([10, 20, 30])));

        var points = ((string)svg.Descendants(Svg + "polyline").Single().Attribute("points")!).Split(' ');
        Assert.Equal(4, points.Length);
        var ys = points.Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ys.OrderByDescending(y => y), ys); // rising usage: each point higher up the image
    }

    [Fact]
    public void The_forecast_is_a_line_from_today_to_the_periods_end_at_the_projection_within_its_band()
    {
        var svg = XElement.Parse(SvgCharts.UsageLine(Line([10, 20, 30], projected: 80)));

        var forecast = svg.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "forecast");
        var lastPoint = ((string)svg.Descendants(Svg + "polyline").Single().Attribute("points")!).Split(' ')[^1].Split(',');
        Assert.Equal("80", (string)forecast.Attribute("data-projected")!);
        Assert.Equal((lastPoint[0], lastPoint[1]), ((string)forecast.Attribute("x1")!, (string)forecast.Attribute("y1")!));
        Assert.Equal("352", (string)forecast.Attribute("x2")!); // the right edge: the period's last day
        Assert.Single(svg.Descendants(Svg + "polygon"), p => (string?)p.Attribute("class") == "band");
    }

    [Fact]
    public void Without_a_forecast_there_is_no_forecast_line_or_band()
    {
        var svg = XElement.Parse(SvgCharts.UsageLine(Line([10], projected: null)));

        Assert.DoesNotContain(svg.Descendants(Svg + "line"), l => (string?)l.Attribute("class") == "forecast");
        Assert.Empty(svg.Descendants(Svg + "polygon"));
    }

    [Fact]
    public void Every_text_is_encoded()
    {
        var markup = SvgCharts.Bars("people", "<script>alert(1)</script>", "a & b", [new SvgBar("\"><img src=x onerror=alert(1)>", 5, 0, 0, "ok", "5 <b>")]);
        var svg = XElement.Parse(markup); // well-formed: nothing broke out of an attribute or a text node

        Assert.DoesNotContain("<script>", markup);
        Assert.DoesNotContain("<img", markup);
        Assert.Equal("<script>alert(1)</script>", svg.Element(Svg + "title")!.Value);
        Assert.Equal("\"><img src=x onerror=alert(1)>", (string)svg.Descendants(Svg + "g").Single().Attribute("data-label")!);
    }

    [Fact]
    public void Bars_fill_their_share_of_the_limit_with_held_after_spent_and_scale_to_the_largest_without_one()
    {
        var svg = XElement.Parse(SvgCharts.Bars("d", "Departments", "…",
            [new SvgBar("Sales", 5, 2.5m, 10, "warn", "7.5 / 10"), new SvgBar("Ops", 20, 0, 10, "over", "20 / 10")]));
        var people = XElement.Parse(SvgCharts.Bars("p", "People", "…", [new SvgBar("ana", 8, 0, 0, "ok", "8"), new SvgBar("ben", 4, 0, 0, "ok", "4")]));

        double Width(XElement chart, string label, string part) => double.Parse((string)chart.Descendants(Svg + "g")
            .Single(g => (string?)g.Attribute("data-label") == label).Elements(Svg + "rect").Single(r => (string?)r.Attribute("class") == part).Attribute("width")!,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((172, 86), (Width(svg, "Sales", "used"), Width(svg, "Sales", "held"))); // 344 wide: half, then a quarter
        Assert.Equal(344, Width(svg, "Ops", "used")); // past the limit: full, never wider
        Assert.Equal("bar over", (string)svg.Descendants(Svg + "g").Single(g => (string?)g.Attribute("data-label") == "Ops").Attribute("class")!);
        Assert.Equal((344, 172), (Width(people, "ana", "used"), Width(people, "ben", "used")));
    }
}
