using TenantQuota.Testing;

namespace TenantQuota.Api.Tests.EndUser;

/// <summary>A view token reads one subject's usage, briefly, and nothing else.</summary>
public sealed class ViewTokenTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    private async Task<(string Tenant, HttpClient Backend)> TenantAsync()
    {
        var tenant = await _host.CreateTenantAsync("free");
        return (tenant, _host.Client(TestTokens.For(tenant, "quota.check", "quota.consume")));
    }

    private static async Task<string> ViewTokenAsync(HttpClient backend, string subject, object? body = null)
    {
        var created = await backend.SendAsync(HttpMethod.Post, $"/v1/subjects/{subject}/view-tokens", body);
        Assert.True(created.Status == 201, created.Json.ToJsonString());
        return (string)created.Json["token"]!;
    }

    [Fact]
    public async Task Reads_the_usage_of_its_subject_as_the_back_end_sees_it()
    {
        var (_, backend) = await TenantAsync();
        await backend.ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 8, idempotencyKey = "k1" });
        var created = await backend.SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens");

        var mine = await _host.Client((string)created.Json["token"]!).SendAsync(HttpMethod.Get, "/v1/me/usage", acceptLanguage: "es");
        var theirs = await backend.SendAsync(HttpMethod.Get, "/v1/subjects/ana/usage", acceptLanguage: "es");

        Assert.StartsWith("tqv_", (string)created.Json["token"]!);
        var expiresIn = DateTime.Parse((string)created.Json["expiresAt"]!).ToUniversalTime() - _host.Clock.GetUtcNow().UtcDateTime;
        Assert.InRange(expiresIn.TotalMinutes, 14.9, 15);
        Assert.Equal(200, mine.Status);
        Assert.Equal(theirs.Json.ToJsonString(), mine.Json.ToJsonString());
        Assert.Equal("Resúmenes", (string)mine.Json["classes"]![0]!["displayName"]!);
    }

    [Fact]
    public async Task Is_refused_by_every_other_endpoint_and_a_back_end_token_is_refused_by_me_usage()
    {
        var (tenant, backend) = await TenantAsync();
        var viewer = _host.Client(await ViewTokenAsync(backend, "ana"));

        var otherSubject = await viewer.UsageAsync("ana");
        var check = await viewer.CheckAsync(new { subjectId = "ana", operationClass = "summaries" });
        var anotherToken = await viewer.SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens");
        var backendOnMe = await backend.SendAsync(HttpMethod.Get, "/v1/me/usage");
        var unknown = await _host.Client("tqv_notatoken").SendAsync(HttpMethod.Get, "/v1/me/usage");

        Assert.Equal([401, 401, 401, 401, 401], new[] { otherSubject.Status, check.Status, anotherToken.Status, backendOnMe.Status, unknown.Status });
        Assert.Equal("application/problem+json", unknown.ContentType);
        Assert.NotNull(tenant);
    }

    [Theory]
    [InlineData(59)]
    [InlineData(901)]
    public async Task A_lifetime_outside_a_minute_to_15_minutes_is_a_400(int ttlSeconds)
    {
        var (_, backend) = await TenantAsync();

        var answer = await backend.SendAsync(HttpMethod.Post, "/v1/subjects/ana/view-tokens", new { ttlSeconds });

        Assert.Equal(400, answer.Status);
        Assert.NotNull(answer.Json["errors"]!["ttlSeconds"]);
    }

    [Fact]
    public async Task Expires_after_its_lifetime()
    {
        using var host = new ApiHost();
        var tenant = await host.CreateTenantAsync("free");
        var backend = host.Client(TestTokens.For(tenant, "quota.check"));
        var viewer = host.Client(await ViewTokenAsync(backend, "ana", new { ttlSeconds = 60 }));

        var before = await viewer.SendAsync(HttpMethod.Get, "/v1/me/usage");
        host.Clock.Advance(TimeSpan.FromSeconds(61));
        var after = await viewer.SendAsync(HttpMethod.Get, "/v1/me/usage");

        Assert.Equal((200, 401), (before.Status, after.Status));
    }

    [Fact]
    public async Task A_subject_id_that_cannot_be_read_back_gets_no_token()
    {
        var (_, backend) = await TenantAsync();

        var answer = await backend.SendAsync(HttpMethod.Post, "/v1/subjects/%E2%80%AEana/view-tokens");

        Assert.Equal(400, answer.Status);
    }
}
