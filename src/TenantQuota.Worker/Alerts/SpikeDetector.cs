using Microsoft.Extensions.Options;
using Npgsql;
using TenantQuota.Data.Governance;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Governance;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Alerts;

/// <summary>
/// Finds usage spikes and acts on them (docs/decisions/0022): every Worker:AnomalyInterval (0: never) it looks at each
/// complete UTC hour the rollups have (Analytics/UsageRollup) that it has not looked at yet, per tenant with an anomaly
/// policy, compares each department's and person's use with the same hour on the 14 days before (<see cref="Spikes"/>),
/// and hands each spike to <see cref="AnomalyStore.ActAsync"/>, which alerts and holds. Evaluations of one tenant take
/// turns on an advisory lock; a spike is acted on once even so (its row's primary key).
/// </summary>
public sealed class SpikeDetector(
    NpgsqlDataSource db, AnomalyStore anomalies, TenantEventPublisher publisher, IOptions<WorkerSettings> settings, ILogger<SpikeDetector> log)
    : BackgroundService
{
    /// <summary>The most hours one turn looks at per tenant; a worker that was down a week catches up a day per turn.</summary>
    public const int MaxHoursPerTurn = 24;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Schedules.RunEveryAsync(settings.Value.AnomalyInterval, nameof(WorkerSettings.AnomalyInterval), RunOnceAsync, log, "Spike detection", stoppingToken);

    /// <summary>One look at every tenant with a policy; answers how many events it wrote.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var written = await Schedules.EachTenantAsync(db, "SELECT tenant_id FROM anomaly_policies", EvaluateAsync, log, "Spike detection", cancellationToken);
        if (written > 0) publisher.Wake();
        return written;
    }

    /// <summary>The hours of one tenant not looked at yet, up to what the rollups have complete; answers how many events it wrote.</summary>
    public async Task<int> EvaluateAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('tq_anomalies'), hashtext($1))", connection, transaction))
        {
            turn.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await turn.ExecuteNonQueryAsync(cancellationToken);
        }
        if (await anomalies.GetPolicyAsync(tenantId, cancellationToken) is not { } policy) return 0;
        var (evaluatedTo, rolledTo) = await MarksAsync(connection, transaction, tenantId, cancellationToken);
        if (rolledTo is not { } rolled) return 0;
        // The rollups are complete up to the start of the hour they recompute next; a first look starts with the last complete hour.
        var rolledHour = HourOf(rolled);
        var start = evaluatedTo ?? rolledHour.AddHours(-1);
        // A backlog (a worker down for days) is caught up a day per turn, oldest first: no hour is skipped.
        var end = start.AddHours(MaxHoursPerTurn) < rolledHour ? start.AddHours(MaxHoursPerTurn) : rolledHour;

        var written = 0;
        for (var hour = start; hour < end; hour = hour.AddHours(1))
            foreach (var level in policy.Levels)
                foreach (var spike in await SpikesAsync(connection, transaction, tenantId, policy, level, hour, cancellationToken))
                    if (await anomalies.ActAsync(tenantId, policy, spike, cancellationToken)) written++;

        if (start < end)
        {
            await using var mark = new NpgsqlCommand("""
                INSERT INTO anomaly_marks (tenant_id, evaluated_to) VALUES ($1, $2)
                ON CONFLICT (tenant_id) DO UPDATE SET evaluated_to = GREATEST(anomaly_marks.evaluated_to, EXCLUDED.evaluated_to)
                """, connection, transaction);
            mark.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            mark.Parameters.Add(new NpgsqlParameter { Value = end });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return written;
    }

    private static async Task<(DateTimeOffset? EvaluatedTo, DateTimeOffset? RolledTo)> MarksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT evaluated_to FROM anomaly_marks WHERE tenant_id = $1), (SELECT rolled_to FROM usage_rollup_marks WHERE tenant_id = $1)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>
    /// Each owner's use of the policy's metric in <paramref name="hour"/> and the same hour of the 14 days before, in one
    /// statement; the owners that spiked. A day without a row used nothing.
    /// </summary>
    private static async Task<IReadOnlyList<FoundSpike>> SpikesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId,
        AnomalyPolicy policy, QuotaLevel level, DateTimeOffset hour, CancellationToken cancellationToken)
    {
        var (owner, table) = level == QuotaLevel.Department
            ? ("department_id", "usage_hourly_groups")
            : ("subject_id", "usage_hourly");
        var amount = policy.Metric switch
        {
            Budget.Usd => "cost_micro_usd",
            Budget.Tokens => "input_tokens + output_tokens",
            _ => "CASE WHEN operation_class = $3 THEN quantity ELSE 0 END",
        };
        var hours = Enumerable.Range(0, Spikes.TrailingDays + 1).Select(d => hour.AddDays(-d)).ToArray();
        // Only owners whose hour reached the minimum volume come back, with their history.
        await using var command = new NpgsqlCommand($"""
            WITH use AS (
                SELECT {owner} AS owner, hour, sum({amount})::numeric AS amount FROM {table}
                 WHERE tenant_id = $1 AND hour = ANY ($2) AND {owner} <> '' GROUP BY 1, 2)
            SELECT u.owner, u.hour, u.amount FROM use u
             WHERE u.owner IN (SELECT owner FROM use WHERE hour = $4 AND amount >= $5)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = hours });
        command.Parameters.Add(new NpgsqlParameter { Value = policy.Metric });
        command.Parameters.Add(new NpgsqlParameter { Value = hour });
        command.Parameters.Add(new NpgsqlParameter { Value = (decimal)policy.MinimumVolume });
        var use = new Dictionary<string, decimal[]>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
            {
                var days = (int)Math.Round((hour - reader.GetFieldValue<DateTimeOffset>(1)).TotalDays);
                if (!use.TryGetValue(reader.GetString(0), out var amounts)) use[reader.GetString(0)] = amounts = new decimal[Spikes.TrailingDays + 1];
                amounts[days] = reader.GetDecimal(2);
            }
        var spikes = new List<FoundSpike>();
        foreach (var (ownerId, amounts) in use.OrderBy(u => u.Key, StringComparer.Ordinal))
            if (Spikes.Evaluate(amounts[0], amounts[1..], policy.Sensitivity, policy.MinimumVolume) is { } spike)
                spikes.Add(new FoundSpike(level, ownerId, hour, spike));
        return spikes;
    }

    private static DateTimeOffset HourOf(DateTimeOffset instant) =>
        new(instant.UtcDateTime.Date.AddHours(instant.UtcDateTime.Hour), TimeSpan.Zero);
}
