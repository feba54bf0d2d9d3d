using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>Windows follow the tenant's time zone: usage resets at local midnight, Monday or the 1st.</summary>
public sealed class QuotaWindowApiTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Resets_a_daily_cell_at_local_midnight_of_the_tenant()
    {
        // Madrid is UTC+1 in November: local midnight of 23 Nov is 22 Nov 23:00 UTC.
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free", "Europe/Madrid"), "quota.check", "quota.consume"));
        _host.Clock.Set("2026-11-22T22:59:59Z");
        var before = await client.ConsumeAsync(new { subjectId = "u", operationClass = "summaries", quantity = 10, idempotencyKey = "day-1" });
        var denied = await client.CheckAsync(new { subjectId = "u", operationClass = "summaries" });

        _host.Clock.Set("2026-11-22T23:00:00Z");
        var after = await client.ConsumeAsync(new { subjectId = "u", operationClass = "summaries", idempotencyKey = "day-2" });

        Assert.Equal("2026-11-22T23:00:00Z", (string)before.Json["resetsAt"]!);
        Assert.Equal("deny", denied.Decision);
        Assert.Equal(("allow", 1L, "2026-11-23T23:00:00Z"), (after.Decision, after.Used, (string)after.Json["resetsAt"]!));
    }

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

    [Fact]
    public async Task Resets_a_weekly_cell_on_monday_in_the_tenant_zone()
    {
        // free/deep_research is weekly. Tokyo (UTC+9): Monday 23 Nov 2026 00:00 JST = Sunday 22 Nov 15:00Z.
        var client = _host.Client(TestTokens.For(await _host.CreateTenantAsync("free", "Asia/Tokyo"), "quota.check", "quota.consume"));
        _host.Clock.Set("2026-11-22T14:00:00Z");
        var sunday = await client.ConsumeAsync(new { subjectId = "u", operationClass = "deep_research", quantity = 3, idempotencyKey = "sun" });
        _host.Clock.Set("2026-11-22T15:00:00Z");
        var monday = await client.CheckAsync(new { subjectId = "u", operationClass = "deep_research" });

        Assert.Equal((3L, "2026-11-22T15:00:00Z"), (sunday.Used, (string)sunday.Json["resetsAt"]!));
        Assert.Equal((1L, "allow", "2026-11-29T15:00:00Z"), (monday.Used, monday.Decision, (string)monday.Json["resetsAt"]!));
    }
}
