using Microsoft.Extensions.DependencyInjection;
using TenantQuota.Testing;
using TenantQuota.Worker.Analytics;

namespace TenantQuota.Worker.Tests;

/// <summary>The rollups behind GET /v1/tenant/usage: they add up to the usage records, and running them again changes nothing.</summary>
[Collection(BillingPipelineCollection.Name)]
public sealed class UsageRollupTests(BillingPipeline pipeline)
{
    private UsageRollup Rollup => pipeline.Worker.Services.GetRequiredService<UsageRollup>();

    /// <summary>A tenant with people in two departments (ops with a budget) and one outside any, using two classes, with and without a model.</summary>
    private async Task<string> TenantWithUsageAsync()
    {
        var tenant = await pipeline.Api.CreateTenantAsync("enterprise");
        var admin = pipeline.Api.Client(TestTokens.For(tenant, "tenant.admin"));
        var backend = pipeline.Backend(tenant);
        Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/eng", new { name = "Engineering" })).Status);
        Assert.Equal(201, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/departments/ops",
            new { name = "Operations", budget = new { limit = 1000, unit = "request", period = "monthly", overQuota = "block" } })).Status);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/ana", new { departmentId = "eng" })).Status);
        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/v1/tenant/subjects/bob", new { departmentId = "ops" })).Status);
        var calls = new List<object>();
        for (var i = 0; i < 12; i++)
        {
            var subject = new[] { "ana", "bob", "cy" }[i % 3];
            calls.Add(i % 2 == 0
                ? new { subjectId = subject, operationClass = "summaries", quantity = 1 + i, idempotencyKey = $"k{i}" }
                : new { subjectId = subject, operationClass = "summaries", quantity = 1, idempotencyKey = $"k{i}", model = "gpt-large", tokens = new { input = 1000 * i, output = 100 * i } });
        }
        calls.Add(new { subjectId = "cy", operationClass = "deep_research", quantity = 2, idempotencyKey = "deep" });
        foreach (var call in calls) Assert.Equal(200, (await backend.ConsumeAsync(call)).Status);
        return tenant;
    }

    /// <summary>The records added up independently of the rollup's SQL, as text rows to compare.</summary>
    private Task<string?> RecordsByGroupAsync(string tenant) => pipeline.Database.ScalarAsync<string>("""
        SELECT string_agg(g, ';' ORDER BY g) FROM (
          SELECT concat_ws('|', operation_class, department_id, subject_id, model, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), count(*)) AS g
            FROM usage_records WHERE tenant_id = $1 AND recorded GROUP BY operation_class, department_id, subject_id, model) r
        """, tenant);

    private Task<string?> RollupByGroupAsync(string tenant, string table) => pipeline.Database.ScalarAsync<string>($"""
        SELECT string_agg(g, ';' ORDER BY g) FROM (
          SELECT concat_ws('|', operation_class, NULLIF(department_id, ''), subject_id, NULLIF(model, ''), sum(quantity), NULLIF(sum(input_tokens), 0),
                           NULLIF(sum(output_tokens), 0), NULLIF(sum(cost_micro_usd), 0), sum(records)) AS g
            FROM {table} WHERE tenant_id = $1 GROUP BY operation_class, department_id, subject_id, model) r
        """, tenant);

    /// <summary>The records and the hours without the person, both added up by class, department and model.</summary>
    private async Task<(string? Records, string? Groups)> WithoutThePersonAsync(string tenant) => (
        await pipeline.Database.ScalarAsync<string>("""
            SELECT string_agg(g, ';' ORDER BY g) FROM (
              SELECT concat_ws('|', operation_class, COALESCE(department_id, ''), COALESCE(model, ''), sum(quantity), COALESCE(sum(cost_micro_usd), 0), count(*)) AS g
                FROM usage_records WHERE tenant_id = $1 AND recorded GROUP BY operation_class, department_id, model) r
            """, tenant),
        await pipeline.Database.ScalarAsync<string>("""
            SELECT string_agg(g, ';' ORDER BY g) FROM (
              SELECT concat_ws('|', operation_class, department_id, model, sum(quantity), sum(cost_micro_usd), sum(records)) AS g
                FROM usage_hourly_groups WHERE tenant_id = $1 GROUP BY operation_class, department_id, model) r
            """, tenant));

    private Task<string?> SnapshotAsync(string tenant) => pipeline.Database.ScalarAsync<string>("""
        SELECT (SELECT string_agg(h::text, ';' ORDER BY h::text) FROM usage_hourly h WHERE tenant_id = $1) || '#' ||
               (SELECT string_agg(g::text, ';' ORDER BY g::text) FROM usage_hourly_groups g WHERE tenant_id = $1) || '#' ||
               (SELECT string_agg(d::text, ';' ORDER BY d::text) FROM usage_daily d WHERE tenant_id = $1) || '#' ||
               (SELECT string_agg(s::text, ';' ORDER BY s::text) FROM usage_hourly_subjects s WHERE tenant_id = $1) || '#' ||
               (SELECT string_agg(s::text, ';' ORDER BY s::text) FROM usage_daily_subjects s WHERE tenant_id = $1)
        """, tenant);

    /// <summary>The records per person and UTC day, as text rows to compare.</summary>
    private Task<string?> RecordsByPersonAndDayAsync(string tenant) => pipeline.Database.ScalarAsync<string>("""
        SELECT string_agg(g, ';' ORDER BY g) FROM (
          SELECT concat_ws('|', subject_id, date_trunc('day', created_at, 'UTC'), sum(quantity), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0),
                           COALESCE(sum(cost_micro_usd), 0), count(*)) AS g
            FROM usage_records WHERE tenant_id = $1 AND recorded GROUP BY subject_id, date_trunc('day', created_at, 'UTC')) r
        """, tenant);

    /// <summary>A per-person rollup (0018) added up the same way; hours into their days.</summary>
    private Task<string?> PersonRollupByDayAsync(string tenant, string table, string time) => pipeline.Database.ScalarAsync<string>($"""
        SELECT string_agg(g, ';' ORDER BY g) FROM (
          SELECT concat_ws('|', subject_id, date_trunc('day', {time}, 'UTC'), sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)) AS g
            FROM {table} WHERE tenant_id = $1 GROUP BY subject_id, date_trunc('day', {time}, 'UTC')) r
        """, tenant);

    [Fact]
    public async Task The_rollups_add_up_to_the_records_and_running_them_again_changes_nothing()
    {
        var tenant = await TenantWithUsageAsync();
        // A denied consume (past the department's budget) is stored for its replay but used nothing.
        var denied = await pipeline.Backend(tenant).ConsumeAsync(new { subjectId = "bob", operationClass = "summaries", quantity = 5000, idempotencyKey = "too-much" });
        Assert.False(denied.Allowed);

        Assert.True(await Rollup.RollUpAsync(tenant, CancellationToken.None) > 0);
        var records = await RecordsByGroupAsync(tenant);
        Assert.Contains("summaries|eng|ana|gpt-large|", records);
        Assert.Equal(records, await RollupByGroupAsync(tenant, "usage_hourly"));
        Assert.Equal(records, await RollupByGroupAsync(tenant, "usage_daily"));
        var (byGroup, groups) = await WithoutThePersonAsync(tenant);
        Assert.Equal(byGroup, groups);
        var byPerson = await RecordsByPersonAndDayAsync(tenant);
        Assert.Contains("cy|", byPerson);
        Assert.Equal(byPerson, await PersonRollupByDayAsync(tenant, "usage_hourly_subjects", "hour"));
        Assert.Equal(byPerson, await PersonRollupByDayAsync(tenant, "usage_daily_subjects", "day"));

        var before = await SnapshotAsync(tenant);
        Assert.Equal(0, await Rollup.RollUpAsync(tenant, CancellationToken.None));
        Assert.Equal(before, await SnapshotAsync(tenant));
    }

    [Fact]
    public async Task A_record_that_commits_after_its_hour_was_rolled_up_is_counted_by_the_next_run()
    {
        var tenant = await TenantWithUsageAsync();
        await Rollup.RollUpAsync(tenant, CancellationToken.None);

        // A consume whose transaction began before the last run and committed after it: its time is already rolled up.
        await pipeline.Database.ExecuteAsync("""
            INSERT INTO usage_records (tenant_id, idempotency_key, subject_id, operation_class, quantity, recorded, used_before, tier, matrix_version,
                                       soft_limit, hard_limit, over_quota, fallback_class, window_start, window_end, created_at, department_id)
            SELECT tenant_id, 'late', subject_id, operation_class, 7, true, used_before, tier, matrix_version, soft_limit, hard_limit, over_quota,
                   fallback_class, window_start, window_end, (SELECT rolled_to FROM usage_rollup_marks WHERE tenant_id = $1) - interval '1 minute', department_id
              FROM usage_records WHERE tenant_id = $1 AND idempotency_key = 'k0'
            """, tenant);
        Assert.NotEqual(await RecordsByGroupAsync(tenant), await RollupByGroupAsync(tenant, "usage_hourly"));

        await Rollup.RollUpAsync(tenant, CancellationToken.None);

        Assert.Equal(await RecordsByGroupAsync(tenant), await RollupByGroupAsync(tenant, "usage_hourly"));
        Assert.Equal(await RecordsByGroupAsync(tenant), await RollupByGroupAsync(tenant, "usage_daily"));
        Assert.Equal(await RecordsByPersonAndDayAsync(tenant), await PersonRollupByDayAsync(tenant, "usage_hourly_subjects", "hour"));
        Assert.Equal(await RecordsByPersonAndDayAsync(tenant), await PersonRollupByDayAsync(tenant, "usage_daily_subjects", "day"));
    }
}
