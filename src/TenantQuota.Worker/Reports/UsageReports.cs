using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Domain.Governance;
using TenantQuota.Worker.Alerts;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Reports;

/// <summary>
/// Sends each subscribed tenant's weekly usage report (report_subscriptions) once per week, as a report.usage event
/// that the webhook pipeline delivers (ADR 0019). The week is the last complete ISO week in UTC, Monday to Monday.
/// A report waits until the usage rollups have passed the week's end by their lookback, so it is final; reports_sent's primary key
/// lets one worker send it, whichever gets there first. Every Worker:ReportInterval (0: never).
/// </summary>
public sealed class UsageReports(NpgsqlDataSource db, TenantEventPublisher publisher, TimeProvider clock, IOptions<WorkerSettings> settings, ILogger<UsageReports> log)
    : BackgroundService
{
    private const string DueSql = """
        SELECT s.tenant_id, s.departments FROM report_subscriptions s
         WHERE NOT EXISTS (SELECT 1 FROM reports_sent r WHERE r.tenant_id = s.tenant_id AND r.period_start = $1)
           AND (NOT EXISTS (SELECT 1 FROM usage_records u WHERE u.tenant_id = s.tenant_id AND u.created_at < $2)
                OR EXISTS (SELECT 1 FROM usage_rollup_marks m WHERE m.tenant_id = s.tenant_id AND m.rolled_to >= $2 + $3::interval))
        """;

    private const string WeekSql = """
        SELECT department_id, operation_class, sum(quantity)::bigint, sum(cost_micro_usd)::bigint, sum(records)::bigint
          FROM usage_hourly_groups
         WHERE tenant_id = $1 AND hour >= $2 AND hour < $3 AND ($4::text[] IS NULL OR department_id = ANY ($4))
         GROUP BY 1, 2 ORDER BY 1, 2
        """;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Schedules.RunEveryAsync(settings.Value.ReportInterval, nameof(WorkerSettings.ReportInterval), RunOnceAsync, log, "Usage reports", stoppingToken);

    /// <summary>The last complete ISO week (UTC) before <paramref name="now"/>: [from, to).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) LastWeek(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var to = new DateTimeOffset(monday.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return (to.AddDays(-7), to);
    }

    /// <summary>Sends every report that is due; answers how many.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var (from, to) = LastWeek(clock.GetUtcNow());
        var due = new List<(string TenantId, string[]? Departments)>();
        await using (var command = db.CreateCommand(DueSql))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = from });
            command.Parameters.Add(new NpgsqlParameter { Value = to });
            // The rollup recomputes an hour back from its mark for records that commit late: past that, the week is final.
            command.Parameters.Add(new NpgsqlParameter { Value = Analytics.UsageRollup.Lookback });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                due.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1)));
        }
        var sent = 0;
        foreach (var (tenantId, departments) in due)
            if (await SendAsync(tenantId, departments, from, to, cancellationToken)) sent++;
        if (sent > 0) publisher.Wake();
        return sent;
    }

    private async Task<bool> SendAsync(string tenantId, string[]? departments, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var eventId = AlertEvaluator.NewEventId();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var claim = new NpgsqlCommand(
            "INSERT INTO reports_sent (tenant_id, period_start, event_id, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection, transaction))
        {
            foreach (var value in new object[] { tenantId, from, eventId, now }) claim.Parameters.Add(new NpgsqlParameter { Value = value });
            if (await claim.ExecuteNonQueryAsync(cancellationToken) == 0) return false; // another worker sent it
        }

        var byDepartment = new JsonArray();
        long totalRecords = 0, totalMicro = 0;
        await using (var week = new NpgsqlCommand(WeekSql, connection, transaction))
        {
            week.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            week.Parameters.Add(new NpgsqlParameter { Value = from });
            week.Parameters.Add(new NpgsqlParameter { Value = to });
            week.Parameters.Add(new NpgsqlParameter { Value = (object?)departments ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await week.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var department = reader.GetString(0);
                byDepartment.Add(new JsonObject
                {
                    ["departmentId"] = department.Length == 0 ? null : department,
                    ["operationClass"] = reader.GetString(1),
                    ["quantity"] = reader.GetInt64(2),
                    ["usd"] = reader.GetInt64(3) / 1_000_000m,
                    ["records"] = reader.GetInt64(4),
                });
                totalMicro += reader.GetInt64(3);
                totalRecords += reader.GetInt64(4);
            }
        }
        var data = new JsonObject
        {
            ["period"] = "weekly",
            ["from"] = from.UtcDateTime,
            ["to"] = to.UtcDateTime,
            ["departments"] = departments is null ? null : new JsonArray([.. departments.Select(d => (JsonNode?)d)]),
            ["rows"] = byDepartment,
            ["totals"] = new JsonObject { ["usd"] = totalMicro / 1_000_000m, ["records"] = totalRecords },
        };
        await using (var write = new NpgsqlCommand("INSERT INTO tenant_events (tenant_id, id, type, created_at, data) VALUES ($1, $2, $3, $4, $5::jsonb)",
            connection, transaction))
        {
            foreach (var value in new object[] { tenantId, eventId, WebhookEvents.UsageReport, now, data.ToJsonString() })
                write.Parameters.Add(new NpgsqlParameter { Value = value });
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        log.LogInformation("Weekly usage report {Event} of {Tenant} for {From:yyyy-MM-dd}", eventId, tenantId, from);
        return true;
    }
}
