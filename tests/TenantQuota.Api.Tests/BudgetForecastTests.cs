using TenantQuota.Testing;

namespace TenantQuota.Api.Tests;

/// <summary>
/// A department's forecast on its read: the counter's use so far plus the rollups' trailing 14 days projected to the
/// period's end (the projection's own arithmetic is BudgetForecastsTests'). The rollup rows are written as the worker would.
/// </summary>
public sealed class BudgetForecastTests(ApiHostFixture fixture) : IClassFixture<ApiHostFixture>
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task A_department_read_carries_its_forecast_from_the_trailing_days_and_what_it_used_so_far()
    {
        var tenant = await _host.CreateTenantAsync("enterprise");
        var admin = _host.Client(TestTokens.For(tenant, "tenant.admin"));
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/mkt",
            new { name = "Marketing", budget = new { limit = 100_000, unit = "request", period = "monthly", overQuota = "block" } });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/ops", new { name = "Operations" });
        await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/ana", new { departmentId = "mkt" });
        Assert.Equal(200, (await _host.Client(TestTokens.For(tenant, "quota.consume"))
            .ConsumeAsync(new { subjectId = "ana", operationClass = "summaries", quantity = 5, idempotencyKey = "k" })).Status);
        // The 14 days before today: 10 summaries a day in marketing, and use elsewhere that must not count.
        var today = DateOnly.FromDateTime(_host.Clock.GetUtcNow().UtcDateTime);
        for (var day = 1; day <= 14; day++)
            await ApiHost.Database.Scalar<int>("""
                INSERT INTO usage_hourly_groups VALUES ($1, $2, 'summaries', 'mkt', '', 10, 0, 0, 0, 1), ($1, $2, 'summaries', 'ops', '', 999, 0, 0, 0, 1),
                                                       ($1, $2, 'chat', 'mkt', '', 5000, 0, 0, 0, 1)
                RETURNING 1
                """, tenant, new DateTimeOffset(today.AddDays(-day).ToDateTime(new TimeOnly(9, 0)), TimeSpan.Zero));

        var answer = await admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments/mkt");

        var daysLeft = new DateOnly(today.Year, today.Month, 1).AddMonths(1).DayNumber - today.DayNumber; // today included
        var forecast = answer.Json["forecast"]!;
        Assert.Equal(5 + 10m * daysLeft, (decimal)forecast["projected"]!);
        Assert.Equal((100_000m, (string?)null), ((decimal)forecast["limit"]!, (string?)forecast["overrunOn"]));
        Assert.Equal((decimal)forecast["projected"]!, (decimal)answer.Json["budget"]!["forecast"]!["projected"]!);
        Assert.Null((await admin.SendAsync(HttpMethod.Get, "/v1/tenant/departments/ops")).Json["forecast"]); // no budget, no forecast
    }
}
