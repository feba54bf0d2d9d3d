using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.EndUser;

/// <summary>Which pages may call the meter's endpoints with a tenant's view tokens (CORS), and who sets them.</summary>
public sealed class AllowedOriginsTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private readonly HttpClient _platform = fixture.Host.Client(TestTokens.For(null, "platform.admin"));

    private async Task<string> TenantAllowingAsync(params string[] origins)
    {
        var tenant = await _host.CreateTenantAsync("free");
        var set = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Put, "/v1/tenant/allowed-origins", new { allowedOrigins = origins });
        Assert.Equal(200, set.Status);
        return tenant;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string origin, string? token = null, string? requestMethod = null)
    {
        using var request = new HttpRequestMessage(method, "/v1/me/usage");
        request.Headers.Add("Origin", origin);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (requestMethod is not null)
        {
            request.Headers.Add("Access-Control-Request-Method", requestMethod);
            request.Headers.Add("Access-Control-Request-Headers", "authorization,accept-language");
        }
        return await _host.Client().SendAsync(request);
    }

    private static string? AllowOrigin(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) ? values.Single() : null;

    [Fact]
    public async Task A_preflight_is_allowed_from_an_origin_some_tenant_allows_and_from_no_other()
    {
        await TenantAllowingAsync("https://app.acme.example");

        var allowed = await SendAsync(HttpMethod.Options, "https://app.acme.example", requestMethod: "GET");
        var other = await SendAsync(HttpMethod.Options, "https://evil.example", requestMethod: "GET");

        Assert.Equal(204, (int)allowed.StatusCode);
        Assert.Equal("https://app.acme.example", AllowOrigin(allowed));
        Assert.Contains("authorization", string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
        Assert.Null(AllowOrigin(other));
    }

    [Fact]
    public async Task A_view_token_is_readable_from_its_own_tenants_origins_only()
    {
        var acme = await TenantAllowingAsync("https://app.acme.example");
        await TenantAllowingAsync("https://app.globex.example");
        var token = (string)(await _host.Client(TestTokens.For(acme, "quota.check")).SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens")).Json["token"]!;

        var own = await SendAsync(HttpMethod.Get, "https://app.acme.example", token);
        var another = await SendAsync(HttpMethod.Get, "https://app.globex.example", token);

        Assert.Equal("https://app.acme.example", AllowOrigin(own));
        Assert.Null(AllowOrigin(another)); // the browser keeps globex's page from reading acme's usage
    }

    [Fact]
    public async Task Origins_are_normalised_and_the_platform_operator_can_read_and_set_any_tenants()
    {
        var tenant = await _host.CreateTenantAsync("free");

        var set = await _platform.SendAsync(HttpMethod.Put, $"/v1/tenants/{tenant}/allowed-origins",
            new { allowedOrigins = new[] { "https://App.Example.com/", "http://localhost:3000", "https://app.example.com" } });
        var read = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Get, "/v1/tenant/allowed-origins");
        var unknown = await _platform.SendAsync(HttpMethod.Get, "/v1/tenants/no-such-tenant/allowed-origins");

        Assert.Equal(200, set.Status);
        Assert.Equal("""["https://app.example.com","http://localhost:3000"]""", read.Json["allowedOrigins"]!.ToJsonString());
        Assert.Equal(404, unknown.Status);
    }

    [Theory]
    [InlineData("https://app.example.com/path")]
    [InlineData("https://*.example.com")]
    [InlineData("ftp://files.example.com")]
    [InlineData("app.example.com")]
    [InlineData("https://app.example.com?x=1")]
    public async Task Anything_but_an_origin_is_a_400_that_names_the_entry_and_changes_nothing(string origin)
    {
        var tenant = await TenantAllowingAsync("https://kept.example");
        var admin = _host.Client(TestTokens.For(tenant, "tenant.admin"));

        var answer = await admin.SendAsync(HttpMethod.Put, "/v1/tenant/allowed-origins", new { allowedOrigins = new[] { "https://ok.example", origin } });
        var after = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/allowed-origins");

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["allowedOrigins[1]"]);
        Assert.Equal("""["https://kept.example"]""", after.Json["allowedOrigins"]!.ToJsonString());
    }

    [Fact]
    public async Task A_tenant_admin_cannot_use_the_platform_route()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var other = await _host.CreateTenantAsync("free");

        var answer = await _host.Client(TestTokens.For(tenant, "tenant.admin")).SendAsync(HttpMethod.Put, $"/v1/tenants/{other}/allowed-origins",
            new { allowedOrigins = new[] { "https://evil.example" } });

        Assert.Equal(403, answer.Status);
    }
}
