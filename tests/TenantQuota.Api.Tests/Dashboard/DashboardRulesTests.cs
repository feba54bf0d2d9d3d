using TenantQuota.Api.Dashboard;

namespace TenantQuota.Api.Tests.Dashboard;

public sealed class DashboardRulesTests
{
    [Theory]
    [InlineData("es", "en", "en-US", "es")] // ?lang= wins
    [InlineData(null, "es", "en-US", "es")] // then the remembered choice
    [InlineData("fr", "xx", "es-MX,es;q=0.9,en;q=0.8", "es")] // unknown ones are ignored; Accept-Language then
    [InlineData(null, null, "fr-FR, en;q=0.5, es;q=0.7", "es")] // the best-ranked language we speak
    [InlineData(null, null, "es;q=0, en;q=0.1", "en")] // q=0 means "not this one"
    [InlineData(null, null, "de, fr", "en")]
    [InlineData(null, null, null, "en")]
    [InlineData("ES", null, null, "es")]
    public void Chooses_the_language_from_the_query_then_the_cookie_then_accept_language(string? query, string? cookie, string? accept, string expected) =>
        Assert.Equal(expected, DashboardRules.Language(query, cookie, accept));

    [Theory]
    [InlineData("http://127.0.0.1:5080", null, true)]
    [InlineData("HTTP://127.0.0.1:5080", null, true)]
    [InlineData(null, "http://127.0.0.1:5080/dashboard?lang=es", true)] // no Origin: the Referer's origin
    [InlineData("http://127.0.0.1:5081", null, false)] // another port is another origin
    [InlineData("https://127.0.0.1:5080", null, false)]
    [InlineData("http://evil.example", "http://127.0.0.1:5080/dashboard", false)] // a foreign Origin is not rescued by a Referer
    [InlineData("null", null, false)]
    [InlineData(null, "http://127.0.0.1:5080.evil.example/dashboard", false)]
    [InlineData(null, "not a url", false)]
    [InlineData(null, null, false)]
    public void A_form_post_must_come_from_the_requests_own_origin(string? origin, string? referer, bool allowed) =>
        Assert.Equal(allowed, DashboardRules.IsSameOrigin(origin, referer, "http://127.0.0.1:5080"));

    [Theory]
    [InlineData("/dashboard?lang=es", "/dashboard?lang=es")]
    [InlineData("/dashboard/chargeback.csv?month=2026-11", "/dashboard/chargeback.csv?month=2026-11")]
    [InlineData("//evil.example/dashboard", "/dashboard")]
    [InlineData("/dashboard//evil.example", "/dashboard")]
    [InlineData("/dashboard/\\evil.example", "/dashboard")]
    [InlineData("https://evil.example/dashboard", "/dashboard")]
    [InlineData("/dashboardx", "/dashboard")]
    [InlineData("/v1/tenant/budget", "/dashboard")]
    [InlineData(null, "/dashboard")]
    public void Sign_in_returns_only_to_a_dashboard_path(string? path, string expected) =>
        Assert.Equal(expected, DashboardRules.SafeReturnPath(path));

    [Theory]
    [InlineData(6, 10, "ok")]
    [InlineData(7, 10, "warn")] // at its first threshold
    [InlineData(9.99, 10, "warn")]
    [InlineData(10, 10, "over")]
    [InlineData(12, 10, "over")]
    public void A_bar_changes_colour_at_the_budgets_first_threshold_and_at_its_limit(decimal counted, decimal limit, string tone) =>
        Assert.Equal(tone, DashboardRules.Tone(counted, limit, [0.7m, 0.9m, 1.0m]));

    [Fact]
    public void Without_thresholds_a_bar_warns_from_90_percent() =>
        Assert.Equal(("ok", "warn"), (DashboardRules.Tone(8.9m, 10, []), DashboardRules.Tone(9, 10, [])));
}
