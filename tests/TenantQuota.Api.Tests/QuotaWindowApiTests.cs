using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Windows follow the tenant's time zone: usage resets at local midnight, Monday or the 1st.</summary>
public sealed class QuotaWindowApiTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Resets_a_monthly_cell_on_the_first_in_the_tenant_zone_across_a_dst_change()
    {
        // New York: 1 Nov 2026 00:00 EDT = 04:00Z; 1 Dec 2026 00:00 EST = 05:00Z.
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("pro", "America/New_York"), "quota.check", "quota.consume"));
        _host.Clock.Set("2026-11-30T23:30:00Z");
        var november = await client.ConsumeAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 5, idempotencyKey = "nov" });
        _host.Clock.Set("2026-12-01T05:00:00Z");
        var december = await client.ConsumeAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 1, idempotencyKey = "dec" });

        Assert.Equal((5L, "2026-12-01T05:00:00Z"), (november.Used, (string)november.Json["resetsAt"]!));
        Assert.Equal((1L, "2027-01-01T05:00:00Z"), (december.Used, (string)december.Json["resetsAt"]!));
    }
}
