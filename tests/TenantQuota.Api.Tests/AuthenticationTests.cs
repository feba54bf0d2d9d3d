using TenantQuota.Api.Errors;
using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

public sealed class AuthenticationTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;
    private static readonly object CheckBody = new { subjectId = "user-1", operationClass = "summaries", quantity = 1 };

    // Each row breaks one of our validation settings (AuthSetup). The lifetime rows are two minutes
    // off: inside JwtBearer's default 5-minute clock skew, outside our 30 seconds.
    public static TheoryData<string, TestTokens.TokenSpec> InvalidTokens => new()
    {
        { "expired two minutes ago", new TestTokens.TokenSpec("acme", ["quota.check"]) { Shift = TimeSpan.FromMinutes(-32), Lifetime = TimeSpan.FromMinutes(30) } },
        { "valid only two minutes from now", new TestTokens.TokenSpec("acme", ["quota.check"]) { Shift = TimeSpan.FromMinutes(2) } },
        { "wrong audience", new TestTokens.TokenSpec("acme", ["quota.check"]) { Audience = "some-other-api" } },
        { "wrong issuer", new TestTokens.TokenSpec("acme", ["quota.check"]) { Issuer = "https://evil.example" } },
        { "plain JWT type instead of at+jwt", new TestTokens.TokenSpec("acme", ["quota.check"]) { TokenType = "JWT" } },
    };

    [Fact]
    public async Task Rejects_a_request_without_a_token_with_401_problem()
    {
        var answer = await _host.Client().CheckAsync(CheckBody);

        Assert.Equal(401, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(401, (int)answer.Json["status"]!);
        Assert.Equal("Bearer", answer.Header("WWW-Authenticate"));
    }

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task Rejects_an_invalid_token_with_401(string why, TestTokens.TokenSpec spec)
    {
        var answer = await _host.Client(TestTokens.Mint(spec)).CheckAsync(CheckBody);

        Assert.True(answer.Status == 401, $"{why}: expected 401, got {answer.Status}");
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Challenges_an_unusable_token_as_invalid_token_with_the_unauthorized_problem()
    {
        var answer = await _host.Client("not-a-jwt").CheckAsync(CheckBody);

        Assert.Equal(401, answer.Status);
        Assert.Equal("Bearer error=\"invalid_token\"", answer.Header("WWW-Authenticate"));
        Assert.Equal(ProblemTypes.Unauthorized, (string)answer.Json["type"]!);
    }

    [Theory]
    [InlineData("/v1/entitlements/check", "quota.consume")]
    [InlineData("/v1/entitlements/consume", "quota.check")]
    public async Task Rejects_a_token_without_the_endpoint_scope_with_403(string path, string grantedScope)
    {
        var tenant = await _host.CreateTenantAsync("free");
        var answer = await _host.Client(TestTokens.For(tenant, grantedScope))
            .SendAsync(HttpMethod.Post, path, new { subjectId = "u", operationClass = "summaries", idempotencyKey = "k" });

        Assert.Equal(403, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
    }

    [Fact]
    public async Task Rejects_a_tenant_token_on_platform_admin_endpoints_with_403()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var answer = await _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume", "tenant.admin"))
            .SendAsync(HttpMethod.Get, $"/v1/tenants/{tenant}");
        Assert.Equal(403, answer.Status);
    }

    [Fact]
    public async Task Rejects_a_token_without_tenant_id_on_tenant_endpoints_with_403()
    {
        var answer = await _host.Client(TestTokens.For(null, "quota.check")).CheckAsync(CheckBody);

        Assert.Equal(403, answer.Status);
        Assert.Contains("tenant_id", (string)answer.Json["detail"]!);
    }

    [Fact]
    public async Task Accepts_a_scope_claim_sent_as_a_json_array()
    {
        var tenant = await _host.CreateTenantAsync("free");
        var token = TestTokens.Mint(new TestTokens.TokenSpec(tenant, ["quota.check"]) { ScopeAsArray = true });

        var answer = await _host.Client(token).CheckAsync(CheckBody);

        Assert.Equal(200, answer.Status);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/openapi/v1.json")]
    public async Task Serves_operations_endpoints_without_a_token(string path)
    {
        var answer = await _host.Client().SendAsync(HttpMethod.Get, path);
        Assert.Equal(200, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
    }
}
