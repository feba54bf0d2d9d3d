using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>PUT, GET and DELETE /v1/tenant/reports/weekly: the tenant's own subscription, audited, departments that exist.</summary>
public sealed class ReportSubscriptionTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<HttpClient> AdminWithDepartmentAsync()
    {
        var admin = _host.Client(TestTokens.For(await _host.CreateTenantAsync("enterprise"), "tenant.admin"));
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt", new { name = "Marketing" });
        return admin;
    }

    [Fact]
    public async Task A_subscription_is_read_back_replaced_and_ended_each_change_audited()
    {
        var admin = await AdminWithDepartmentAsync();

        Assert.Equal(404, (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/reports/weekly")).Status);
        var all = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/reports/weekly", new { });
        var one = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/reports/weekly", new { departments = new[] { "mkt", "mkt" } });
        var read = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/reports/weekly");
        var ended = await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/reports/weekly");

        Assert.Equal((200, "weekly"), (all.Status, (string)all.Json["period"]!));
        Assert.Null(all.Json["departments"]);
        Assert.Equal("""["mkt"]""", one.Json["departments"]!.ToJsonString());
        Assert.Equal(DayOfWeek.Monday, ((DateTime)read.Json["nextReportAfter"]!).DayOfWeek);
        Assert.Equal((204, 404), (ended.Status, (await admin.SendAsync(HttpMethod.Delete, "/v1/tenant/reports/weekly")).Status));
        var audit = (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/audit?kind=report")).Json["items"]!.AsArray();
        Assert.Equal(["deleted", "changed", "created"], audit.Select(e => (string)e!["action"]!));
    }

    [Theory]
    [InlineData("""{"departments":[]}""")]
    [InlineData("""{"departments":["nope"]}""")]
    [InlineData("""{"departments":[null]}""")]
    [InlineData("""{"departments":"mkt"}""")]
    public async Task Departments_must_be_the_tenants_own_and_a_bad_body_stores_nothing(string body)
    {
        var admin = await AdminWithDepartmentAsync();

        var answer = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/reports/weekly", System.Text.Json.Nodes.JsonNode.Parse(body));

        Assert.Equal(400, answer.Status);
        Assert.Equal(404, (await admin.SendAsync(HttpMethod.Get, "/v1/tenant/reports/weekly")).Status);
    }
}
