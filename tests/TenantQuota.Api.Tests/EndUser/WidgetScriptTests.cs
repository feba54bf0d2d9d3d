using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.EndUser;

/// <summary>The meter's script is public, cacheable and versioned.</summary>
public sealed class WidgetScriptTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly HttpClient _anonymous = fixture.Host.Client();

    [Fact]
    public async Task Is_served_without_a_token_with_a_short_cache_and_an_etag_that_answers_304()
    {
        var script = await _anonymous.GetAsync("/widget/tq-quota.js");
        var body = await script.Content.ReadAsStringAsync();
        using var again = new HttpRequestMessage(HttpMethod.Get, "/widget/tq-quota.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.ToString());
        var revalidated = await _anonymous.SendAsync(again);

        Assert.Equal(200, (int)script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Equal("public, max-age=300", script.Headers.CacheControl!.ToString());
        Assert.Contains("customElements.define", body);
        Assert.Equal(304, (int)revalidated.StatusCode);
    }

    [Fact]
    public async Task Its_own_version_is_served_for_a_year_and_another_version_is_a_404()
    {
        var latest = await _anonymous.GetStringAsync("/widget/tq-quota.js");
        var version = System.Text.RegularExpressions.Regex.Match(latest, "TQ_QUOTA_VERSION\\s*=\\s*\"([0-9.]+)\"").Groups[1].Value;

        var pinned = await _anonymous.GetAsync($"/widget/{version}/tq-quota.js");
        var missing = await _anonymous.GetAsync("/widget/0.0.1/tq-quota.js");

        Assert.Equal(200, (int)pinned.StatusCode);
        Assert.Equal("public, max-age=31536000", pinned.Headers.CacheControl!.ToString());
        Assert.Equal(404, (int)missing.StatusCode);
    }
}
