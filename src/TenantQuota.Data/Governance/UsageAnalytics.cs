using Npgsql;

namespace TenantQuota.Data.Governance;

/// <summary>What usage is added up by, and the rollup column it reads.</summary>
public enum UsageGrouping { Class, Department, Subject, Model }

/// <summary>One bucket of one group: <paramref name="Key"/> is null for no department or no model.</summary>
public sealed record UsageBucket(string? Key, DateTimeOffset Start, long Quantity, long CostMicroUsd);

/// <summary>The rollups of migrations 0014 and 0018, as GET /v1/tenant/usage reads them.</summary>
public sealed class UsageAnalytics(NpgsqlDataSource db)
{
    /// <summary>
    /// Every non-empty bucket in [from, to) of the tenant (of one class where given), per group, for the
    /// <paramref name="limit"/> largest groups only (by quantity, then cost, then key): a chart of the top 50 of a
    /// thousand people needs their points, not everyone's. <paramref name="daily"/> makes days, else hours.
    /// </summary>
    public async Task<IReadOnlyList<UsageBucket>> ReadAsync(string tenantId, UsageGrouping groupBy, bool daily, DateTimeOffset from, DateTimeOffset to,
        string? operationClass, int limit, CancellationToken cancellationToken)
    {
        await using var command = groupBy == UsageGrouping.Subject && operationClass is null
            ? PeopleCommand(tenantId, daily, from, to, limit)
            : GroupsCommand(tenantId, groupBy, daily, from, to, operationClass, limit);
        var buckets = new List<UsageBucket>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            buckets.Add(new UsageBucket(key.Length == 0 ? null : key, reader.GetFieldValue<DateTimeOffset>(1), reader.GetInt64(2), reader.GetInt64(3)));
        }
        return buckets;
    }

    /// <summary>
    /// Per person, all classes: the rollups of 0018, one row per person and bucket. The people are ranked from the
    /// days wholly in the range plus the hours at its ends (a 7-day hourly chart adds up 7 rows a person, not 168),
    /// then only the top ones' points are read, by the index on the person (an array, not IN: the planner cannot
    /// tell that the top is 50 people and would scan the whole range again).
    /// </summary>
    private NpgsqlCommand PeopleCommand(string tenantId, bool daily, DateTimeOffset from, DateTimeOffset to, int limit)
    {
        var (wholeFrom, wholeTo) = (DayCeiling(from), DayFloor(to));
        if (wholeFrom > wholeTo) (wholeFrom, wholeTo) = (to, to); // no whole day: every hour from the hourly rollup
        var (table, time) = daily ? ("usage_daily_subjects", "day") : ("usage_hourly_subjects", "hour");
        var command = db.CreateCommand($"""
            WITH top AS (
                SELECT subject_id FROM (
                    SELECT subject_id, quantity, cost_micro_usd FROM usage_daily_subjects WHERE tenant_id = $1 AND day >= $4 AND day < $5
                    UNION ALL
                    SELECT subject_id, quantity, cost_micro_usd FROM usage_hourly_subjects
                     WHERE tenant_id = $1 AND (hour >= $2 AND hour < $4 OR hour >= $5 AND hour < $3)) AS range
                 GROUP BY subject_id ORDER BY sum(quantity) DESC, sum(cost_micro_usd) DESC, subject_id COLLATE "C" LIMIT $6)
            SELECT subject_id, {time}, quantity, cost_micro_usd FROM {table}
             WHERE tenant_id = $1 AND subject_id = ANY (ARRAY(SELECT subject_id FROM top)) AND {time} >= $2 AND {time} < $3
            """);
        foreach (var value in new object[] { tenantId, from, to, wholeFrom, wholeTo, limit }) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    private static DateTimeOffset DayFloor(DateTimeOffset at) => new(at.UtcDateTime.Date, TimeSpan.Zero);

    private static DateTimeOffset DayCeiling(DateTimeOffset at) => DayFloor(at) == at ? at : DayFloor(at).AddDays(1);

    private NpgsqlCommand GroupsCommand(string tenantId, UsageGrouping groupBy, bool daily, DateTimeOffset from, DateTimeOffset to,
        string? operationClass, int limit)
    {
        // Chosen from a closed set, never from the caller's text.
        var column = groupBy switch
        {
            UsageGrouping.Class => "operation_class",
            UsageGrouping.Department => "department_id",
            UsageGrouping.Subject => "subject_id",
            _ => "model",
        };
        // Per person of one class: the rollups that keep the person and the class. Otherwise the hours without the
        // person, a few thousand rows a month however many people there are, added up into days when asked for days.
        var (table, time, bucket) = (groupBy, daily) switch
        {
            (UsageGrouping.Subject, true) => ("usage_daily", "day", "day"),
            (UsageGrouping.Subject, false) => ("usage_hourly", "hour", "hour"),
            (_, true) => ("usage_hourly_groups", "hour", "date_trunc('day', hour, 'UTC')"),
            _ => ("usage_hourly_groups", "hour", "hour"),
        };
        var command = db.CreateCommand($"""
            WITH picked AS (
                SELECT {column} AS key, {bucket} AS bucket, quantity, cost_micro_usd FROM {table}
                 WHERE tenant_id = $1 AND {time} >= $2 AND {time} < $3 AND ($4::text IS NULL OR operation_class = $4)),
            top AS (
                SELECT key FROM picked GROUP BY key ORDER BY sum(quantity) DESC, sum(cost_micro_usd) DESC, key COLLATE "C" LIMIT $5)
            SELECT key, bucket, sum(quantity)::bigint, sum(cost_micro_usd)::bigint
              FROM picked JOIN top USING (key)
             GROUP BY 1, 2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)operationClass ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return command;
    }

    /// <summary>Up to where the tenant's rollups are complete (the worker's mark), or null before its first rollup.</summary>
    public async Task<DateTimeOffset?> RolledToAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT rolled_to FROM usage_rollup_marks WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }
}
