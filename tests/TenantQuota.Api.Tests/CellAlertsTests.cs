using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>GET and PUT /v1/tenant/cell-alerts: per class, thresholds on each person's cell; replaced whole, checked, audited.</summary>
public sealed class CellAlertsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Thresholds_are_replaced_whole_read_back_and_audited()
    {
        var admin = _host.Client(TestTokens.For(await _host.CreateTenantAsync("pro"), "tenant.admin"));

        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", new { summaries = new[] { 0.8, 1.0 }, drafts = new[] { 0.5 } });
        var replaced = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", new { drafts = new[] { 0.9 } });
        var read = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/cell-alerts");

        Assert.Equal(200, replaced.Status);
        Assert.Equal("""{"drafts":[0.9]}""", read.Json.ToJsonString());
        var audit = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=cell_alerts")).Json["items"]!.AsArray();
        Assert.Equal(["changed", "created"], audit.Select(e => (string)e!["action"]!));
        var before = audit[0]!["before"]!;
        Assert.Equal([0.5m], before["drafts"]!.AsArray().Select(t => (decimal)t!));
        Assert.Equal([0.8m, 1.0m], before["summaries"]!.AsArray().Select(t => (decimal)t!));
    }

    [Theory]
    [InlineData("""{"poetry":[0.5]}""", "poetry")]
    [InlineData("""{"summaries":[0.9,0.5]}""", "summaries")]
    [InlineData("""{"summaries":[1.5]}""", "summaries")]
    [InlineData("""{"summaries":"0.5"}""", "summaries")]
    [InlineData("""{"summaries":[]}""", "summaries")]
    [InlineData("""[0.5]""", "body")]
    public async Task A_bad_body_is_a_400_naming_what_and_changes_nothing(string body, string field)
    {
        var admin = _host.Client(TestTokens.For(await _host.CreateTenantAsync("pro"), "tenant.admin"));
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", new { drafts = new[] { 0.5 } });

        var answer = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/cell-alerts", System.Text.Json.Nodes.JsonNode.Parse(body));

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]![field]);
        Assert.Equal("""{"drafts":[0.5]}""", (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/cell-alerts")).Json.ToJsonString());
    }
}
