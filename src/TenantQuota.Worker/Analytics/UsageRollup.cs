using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Analytics;

/// <summary>
/// Keeps usage_hourly, usage_hourly_groups and usage_daily (migration 0014) and usage_hourly_subjects and
/// usage_daily_subjects (0018) up to date from the usage records, every Worker:RollupInterval (0: never). Per tenant
/// it recomputes whole UTC hours, from an hour before its mark (a record whose transaction committed late is still
/// counted) to the current hour, and then, from those hours, the same hours without the person, the days they fall
/// in, and both per person alone. Every row is written with an upsert of the recomputed totals: records are
/// never changed or deleted, so a rerun writes the same numbers and no group disappears. Workers take turns per
/// tenant (a transaction-scoped advisory lock; the one that does not get it skips the tenant this turn).
/// docs/decisions/0020-usage-rollups.md
/// </summary>
public sealed class UsageRollup(NpgsqlDataSource db, TimeProvider clock, IOptions<WorkerSettings> settings, ILogger<UsageRollup> log) : BackgroundService
{
    /// <summary>How far back each run looks before the mark: longer than any consume's transaction.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromHours(1);

    /// <summary>At most this much history in one transaction, so a first run over a long history commits as it goes.</summary>
    private static readonly TimeSpan Chunk = TimeSpan.FromDays(7);

    private const string StartSql = """
        SELECT COALESCE((SELECT rolled_to FROM usage_rollup_marks WHERE tenant_id = $1) - $2::interval,
                        (SELECT date_trunc('hour', min(created_at), 'UTC') FROM usage_records WHERE tenant_id = $1))
        """;

    private const string HoursSql = """
        INSERT INTO usage_hourly AS h (tenant_id, hour, operation_class, department_id, subject_id, model,
                                       quantity, input_tokens, output_tokens, cost_micro_usd, records)
        SELECT tenant_id, date_trunc('hour', created_at, 'UTC'), operation_class, COALESCE(department_id, ''), subject_id, COALESCE(model, ''),
               sum(quantity), COALESCE(sum(input_tokens), 0), COALESCE(sum(output_tokens), 0), COALESCE(sum(cost_micro_usd), 0), count(*)
          FROM usage_records
         WHERE tenant_id = $1 AND recorded AND created_at >= $2 AND created_at < $3
         GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, hour, operation_class, department_id, subject_id, model) DO UPDATE
           SET quantity = EXCLUDED.quantity, input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
               cost_micro_usd = EXCLUDED.cost_micro_usd, records = EXCLUDED.records
         WHERE (h.quantity, h.input_tokens, h.output_tokens, h.cost_micro_usd, h.records)
               IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cost_micro_usd, EXCLUDED.records)
        """;

    private const string GroupsSql = """
        INSERT INTO usage_hourly_groups AS g (tenant_id, hour, operation_class, department_id, model,
                                              quantity, input_tokens, output_tokens, cost_micro_usd, records)
        SELECT tenant_id, hour, operation_class, department_id, model,
               sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
          FROM usage_hourly
         WHERE tenant_id = $1 AND hour >= $2 AND hour < $3
         GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, hour, operation_class, department_id, model) DO UPDATE
           SET quantity = EXCLUDED.quantity, input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
               cost_micro_usd = EXCLUDED.cost_micro_usd, records = EXCLUDED.records
         WHERE (g.quantity, g.input_tokens, g.output_tokens, g.cost_micro_usd, g.records)
               IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cost_micro_usd, EXCLUDED.records)
        """;

    private const string DaysSql = """
        INSERT INTO usage_daily AS d (tenant_id, day, operation_class, department_id, subject_id, model,
                                      quantity, input_tokens, output_tokens, cost_micro_usd, records)
        SELECT tenant_id, date_trunc('day', hour, 'UTC'), operation_class, department_id, subject_id, model,
               sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
          FROM usage_hourly
         WHERE tenant_id = $1 AND hour >= date_trunc('day', $2::timestamptz, 'UTC') AND hour < date_trunc('day', $3::timestamptz - interval '1 microsecond', 'UTC') + interval '1 day'
         GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (tenant_id, day, operation_class, department_id, subject_id, model) DO UPDATE
           SET quantity = EXCLUDED.quantity, input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
               cost_micro_usd = EXCLUDED.cost_micro_usd, records = EXCLUDED.records
         WHERE (d.quantity, d.input_tokens, d.output_tokens, d.cost_micro_usd, d.records)
               IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cost_micro_usd, EXCLUDED.records)
        """;

    // The same hours and days per person alone (0018), from the hours and days just written.
    private static readonly string SubjectHoursSql = PersonUpsert("usage_hourly_subjects", "hour", "usage_hourly", "hour >= $2 AND hour < $3");
    private static readonly string SubjectDaysSql = PersonUpsert("usage_daily_subjects", "day", "usage_daily",
        "day >= date_trunc('day', $2::timestamptz, 'UTC') AND day < date_trunc('day', $3::timestamptz - interval '1 microsecond', 'UTC') + interval '1 day'");

    private static string PersonUpsert(string table, string time, string source, string range) => $"""
        INSERT INTO {table} AS s (tenant_id, {time}, subject_id, quantity, input_tokens, output_tokens, cost_micro_usd, records)
        SELECT tenant_id, {time}, subject_id, sum(quantity), sum(input_tokens), sum(output_tokens), sum(cost_micro_usd), sum(records)
          FROM {source}
         WHERE tenant_id = $1 AND {range}
         GROUP BY 1, 2, 3
        ON CONFLICT (tenant_id, {time}, subject_id) DO UPDATE
           SET quantity = EXCLUDED.quantity, input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
               cost_micro_usd = EXCLUDED.cost_micro_usd, records = EXCLUDED.records
         WHERE (s.quantity, s.input_tokens, s.output_tokens, s.cost_micro_usd, s.records)
               IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.input_tokens, EXCLUDED.output_tokens, EXCLUDED.cost_micro_usd, EXCLUDED.records)
        """;

    private const string MarkSql = """
        INSERT INTO usage_rollup_marks (tenant_id, rolled_to, updated_at) VALUES ($1, $2, now())
        ON CONFLICT (tenant_id) DO UPDATE SET rolled_to = GREATEST(usage_rollup_marks.rolled_to, EXCLUDED.rolled_to), updated_at = now()
        """;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Schedules.RunEveryAsync(settings.Value.RollupInterval, nameof(WorkerSettings.RollupInterval), RunOnceAsync, log, "Usage rollup", stoppingToken);

    /// <summary>One turn over every tenant; answers how many rollup rows changed.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var tenants = new List<string>();
        await using (var command = db.CreateCommand("SELECT id FROM tenants ORDER BY id"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) tenants.Add(reader.GetString(0));
        long changed = 0;
        foreach (var tenant in tenants) changed += await RollUpAsync(tenant, cancellationToken);
        return changed;
    }

    /// <summary>One tenant, up to the end of the current hour; answers how many rollup rows changed.</summary>
    public async Task<long> RollUpAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var currentHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        long changed = 0;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        DateTimeOffset? from;
        await using (var start = new NpgsqlCommand(StartSql, connection))
        {
            start.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            start.Parameters.Add(new NpgsqlParameter { Value = Lookback });
            from = await start.ExecuteScalarAsync(cancellationToken) is DateTime found ? new DateTimeOffset(DateTime.SpecifyKind(found, DateTimeKind.Utc)) : null;
        }
        if (from is null) return 0; // no records yet

        var end = currentHour.AddHours(1);
        while (from < end)
        {
            var to = from.Value + Chunk < end ? from.Value + Chunk : end;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (!await TryLockAsync(connection, tenantId, cancellationToken)) return changed; // another worker is at it
            changed += await ExecuteAsync(connection, HoursSql, [tenantId, from.Value, to], cancellationToken);
            changed += await ExecuteAsync(connection, GroupsSql, [tenantId, from.Value, to], cancellationToken);
            changed += await ExecuteAsync(connection, DaysSql, [tenantId, from.Value, to], cancellationToken);
            changed += await ExecuteAsync(connection, SubjectHoursSql, [tenantId, from.Value, to], cancellationToken);
            changed += await ExecuteAsync(connection, SubjectDaysSql, [tenantId, from.Value, to], cancellationToken);
            // The current hour is not over: the next run starts from it again (less the lookback).
            await ExecuteAsync(connection, MarkSql, [tenantId, to < currentHour ? to : currentHour], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            from = to;
        }
        return changed;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(hashtext('tq_usage_rollup'), hashtext($1))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, object[] values, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
