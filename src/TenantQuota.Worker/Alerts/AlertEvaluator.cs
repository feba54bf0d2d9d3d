using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;
using TenantQuota.Data;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain;
using TenantQuota.Domain.Governance;
using TenantQuota.Domain.Matrix;
using TenantQuota.Worker.Hosting;

namespace TenantQuota.Worker.Alerts;

/// <summary>
/// Raises threshold alerts: every Worker:AlertInterval (0: never) it reads where each tenant's and department's
/// budget stands and opens or closes its thresholds (<see cref="ThresholdAlerts"/>), writing an event per change
/// to tenant_events for <see cref="TenantEventPublisher"/>. It reads the counters the hot path writes and adds
/// nothing to a consume. Several workers may evaluate at once: the partial unique index on open alert states
/// decides which one raises, and only that one writes the event (docs/decisions/0019-alerts-and-webhooks.md).
/// </summary>
public sealed class AlertEvaluator(
    NpgsqlDataSource db, TenantDirectory tenants, TenantBudgets budgets, QuotaMatrix matrix, TenantEventPublisher publisher, TimeProvider clock,
    IOptions<WorkerSettings> settings, ILogger<AlertEvaluator> log) : BackgroundService
{
    private const string TenantsToWatchSql = """
        SELECT id FROM tenants WHERE budget IS NOT NULL
         UNION SELECT tenant_id FROM departments WHERE budget IS NOT NULL
         UNION SELECT tenant_id FROM cell_alert_thresholds
         UNION SELECT tenant_id FROM alert_states WHERE recovered_at IS NULL
        """;

    private const string CellThresholdsSql = "SELECT operation_class, thresholds FROM cell_alert_thresholds WHERE tenant_id = $1";

    // The people's counters of the watched classes in their current windows; PostgreSQL filters on the lowest share
    // of the cell's limit, so only the few near a threshold come back.
    private const string SubjectCountersSql = """
        SELECT c.owner_id, c.metric, c.used, c.window_start, c.window_end
          FROM quota_counters c JOIN unnest($2::text[], $3::bigint[]) AS w (metric, lowest) ON w.metric = c.metric
         WHERE c.tenant_id = $1 AND c.level = 'subject' AND c.window_start <= $4 AND c.window_end > $4 AND c.used >= w.lowest
        """;

    /// <summary>The metric of a budget's projection in alert_states: its unit's, marked, so it never meets a threshold of the unit itself.</summary>
    public const string ForecastMetric = "#forecast";

    private const string OpenSql = "SELECT level, owner_id, metric, threshold, window_start FROM alert_states WHERE tenant_id = $1 AND recovered_at IS NULL";

    private const string RaiseSql = """
        INSERT INTO alert_states (tenant_id, level, owner_id, metric, threshold, window_start, raised_event_id, raised_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (tenant_id, level, owner_id, metric, threshold) WHERE recovered_at IS NULL DO NOTHING
        """;

    private const string RecoverSql = """
        UPDATE alert_states SET recovered_event_id = $6, recovered_at = $7
         WHERE tenant_id = $1 AND level = $2 AND owner_id = $3 AND metric = $4 AND threshold = $5 AND recovered_at IS NULL
        """;

    private const string EventSql = "INSERT INTO tenant_events (tenant_id, id, type, created_at, data) VALUES ($1, $2, $3, $4, $5::jsonb)";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Schedules.RunEveryAsync(settings.Value.AlertInterval, nameof(WorkerSettings.AlertInterval), RunOnceAsync, log, "Alert evaluation", stoppingToken);

    /// <summary>One evaluation of every tenant with a budget or an open alert; answers how many events it wrote.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var written = await Schedules.EachTenantAsync(db, TenantsToWatchSql, EvaluateAsync, log, "Alert evaluation", cancellationToken);
        if (written > 0) publisher.Wake();
        return written;
    }

    /// <summary>One tenant's budgets against their thresholds, in one transaction; answers how many events it wrote.</summary>
    public async Task<int> EvaluateAsync(string tenantId, CancellationToken cancellationToken)
    {
        // The worker answers no requests, so its copy of a tenant is never checked against the version: read it afresh.
        tenants.Forget(tenantId);
        var tenant = await tenants.FindAsync(tenantId, cancellationToken);
        if (tenant is null) return 0;

        var now = clock.GetUtcNow();
        var watched = Watched(tenant, Instant.FromDateTimeOffset(now));
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Evaluations of one tenant take turns, and each reads the counters once it has its turn: one that read them
        // before another closed a threshold would otherwise raise it again from what it read.
        await using (var turn = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('tq_alerts'), hashtext($1))", connection))
        {
            turn.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await turn.ExecuteNonQueryAsync(cancellationToken);
        }
        var counters = await budgets.ReadCountersAsync(tenantId, watched.Select(w => (w.Level, w.OwnerId, w.Budget.Unit, w.Window)).ToList(), cancellationToken);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var daily = watched.Any(w => w.Budget.Period != ResetCadence.Rolling)
            ? await budgets.DailyUseAsync(tenantId, today.AddDays(-BudgetForecasts.TrailingDays), today.AddDays(1), cancellationToken)
            : [];

        var open = await OpenAsync(connection, tenantId, cancellationToken);
        var written = 0;
        for (var i = 0; i < watched.Count; i++)
        {
            var w = watched[i];
            var used = counters[i].Used;
            var key = (w.Level, w.OwnerId, w.Budget.Unit);
            var (openNow, closed) = await OpenInWindowAsync(connection, tenantId, open, key, w.Window.Start.ToDateTimeUtc(), t => Data(w, t, used), now, cancellationToken);
            written += closed;
            var changes = ThresholdAlerts.Evaluate(w.Budget.AlertThresholds, used, w.Budget.Limit, openNow);
            foreach (var threshold in changes.Raise)
                if (await RaiseAsync(connection, tenantId, w, key.Unit, threshold, WebhookEvents.ThresholdCrossed, Data(w, threshold, used), now, cancellationToken)) written++;
            foreach (var threshold in changes.Recover)
                if (await RecoverAsync(connection, tenantId, key, threshold, Data(w, threshold, used), now, cancellationToken)) written++;

            // The projection: open while the period is expected to reach the limit it has not reached yet (reaching it is threshold 1's).
            if (w.Budget.Period == ResetCadence.Rolling) continue;
            var projection = (w.Level, w.OwnerId, w.Budget.Unit + ForecastMetric);
            var forecast = DailyUseForecast.Project(matrix, w.Level == "tenant" ? QuotaLevel.Tenant : QuotaLevel.Department, w.OwnerId, w.Budget, used, w.Window, today, daily);
            var (openProjection, closedProjection) = await OpenInWindowAsync(connection, tenantId, open, projection, w.Window.Start.ToDateTimeUtc(),
                _ => ProjectionData(w, used, forecast), now, cancellationToken);
            written += closedProjection;
            var wasOpen = openProjection.Count > 0;
            var overrunning = forecast.OverrunOn is not null && used < w.Budget.Limit;
            if (overrunning && !wasOpen
                && await RaiseAsync(connection, tenantId, w, projection.Item3, 1m, WebhookEvents.ProjectedOverrun, ProjectionData(w, used, forecast), now, cancellationToken))
                written++;
            if (!overrunning && wasOpen && await RecoverAsync(connection, tenantId, projection, 1m, ProjectionData(w, used, forecast), now, cancellationToken))
                written++;
        }
        written += await EvaluateCellsAsync(connection, tenant, open, now, cancellationToken);
        // Thresholds left open of a budget that is gone (removed, or its unit changed): nobody watches them, so they close.
        foreach (var (key, thresholds) in open)
            foreach (var threshold in thresholds.Keys)
                if (await RecoverAsync(connection, tenantId, key, threshold, GoneData(key, threshold), now, cancellationToken)) written++;
        await transaction.CommitAsync(cancellationToken);
        if (written > 0) log.LogInformation("Tenant {Tenant}: {Count} alert events", tenantId, written);
        return written;
    }

    /// <summary>
    /// Per-person thresholds of matrix cells (cell_alert_thresholds): each person's counter of a watched class against
    /// their cell's hard limit. A person under every threshold is not read; their open thresholds close (a new window).
    /// Rolling cells are not watched: their counters are buckets, not one window.
    /// </summary>
    private async Task<int> EvaluateCellsAsync(NpgsqlConnection connection, TenantSnapshot tenant,
        Dictionary<(string, string, string), Dictionary<decimal, DateTime>> open, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var watched = new Dictionary<string, (decimal[] Thresholds, QuotaCell Cell)>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand(CellThresholdsSql, connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                if (reader.GetFieldValue<decimal[]>(1).Length > 0 && matrix.TryGetClass(reader.GetString(0), out _)
                    && tenant.Cell(matrix, reader.GetString(0)) is { Reset: not ResetCadence.Rolling } cell)
                    watched[reader.GetString(0)] = (reader.GetFieldValue<decimal[]>(1), cell);
        }
        var written = 0;
        if (watched.Count > 0)
        {
            var near = new List<(string Owner, string Class, long Used, DateTime Start, DateTime End)>();
            await using (var read = new NpgsqlCommand(SubjectCountersSql, connection))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
                read.Parameters.Add(new NpgsqlParameter { Value = watched.Keys.ToArray() });
                read.Parameters.Add(new NpgsqlParameter { Value = watched.Values.Select(w => (long)Math.Ceiling(w.Thresholds.Min() * w.Cell.HardLimit)).ToArray() });
                read.Parameters.Add(new NpgsqlParameter { Value = now });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    near.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetDateTime(3), reader.GetDateTime(4)));
            }
            foreach (var (owner, operationClass, used, start, end) in near)
            {
                var (thresholds, cell) = watched[operationClass];
                var key = ("subject", owner, operationClass);
                var data = CellData(owner, operationClass, used, cell.HardLimit, start, end);
                var (openNow, closed) = await OpenInWindowAsync(connection, tenant.Id, open, key, DateTime.SpecifyKind(start, DateTimeKind.Utc),
                    t => With(data, t), now, cancellationToken);
                written += closed;
                var changes = ThresholdAlerts.Evaluate(thresholds, used, cell.HardLimit, openNow);
                foreach (var threshold in changes.Raise)
                    if (await RaiseAsync(connection, tenant.Id, "subject", owner, operationClass, threshold, start, WebhookEvents.ThresholdCrossed,
                            With(data, threshold), now, cancellationToken)) written++;
                foreach (var threshold in changes.Recover)
                    if (await RecoverAsync(connection, tenant.Id, key, threshold, With(data, threshold), now, cancellationToken)) written++;
            }
        }
        // A person's open thresholds with no counter near them: a new window started (or the class is no longer watched).
        foreach (var (key, thresholds) in open.Where(o => o.Key.Item1 == "subject").ToList())
        {
            open.Remove(key);
            foreach (var threshold in thresholds.Keys)
                if (await RecoverAsync(connection, tenant.Id, key, threshold,
                        new JsonObject { ["level"] = "subject", ["ownerId"] = key.Item2, ["operationClass"] = key.Item3, ["threshold"] = threshold,
                            ["reason"] = watched.ContainsKey(key.Item3) ? "new_window" : "thresholds_removed" }, now, cancellationToken)) written++;
        }
        return written;
    }

    private static JsonObject CellData(string owner, string operationClass, long used, long limit, DateTime start, DateTime end) => new()
    {
        ["level"] = "subject",
        ["ownerId"] = owner,
        ["operationClass"] = operationClass,
        ["used"] = used,
        ["limit"] = limit,
        ["windowStart"] = DateTime.SpecifyKind(start, DateTimeKind.Utc),
        ["resetsAt"] = DateTime.SpecifyKind(end, DateTimeKind.Utc),
    };

    private static JsonObject With(JsonObject data, decimal threshold)
    {
        var copy = data.DeepClone().AsObject();
        copy["threshold"] = threshold;
        return copy;
    }

    private sealed record WatchedBudget(string Level, string OwnerId, Budget Budget, Domain.QuotaWindow Window);

    private static List<WatchedBudget> Watched(TenantSnapshot tenant, Instant now)
    {
        var watched = new List<WatchedBudget>();
        if (tenant.Budget is { } budget) watched.Add(new("tenant", tenant.Id, budget, budget.Cell.WindowAt(now, tenant.Zone)));
        foreach (var department in (tenant.Departments?.Values ?? []).OrderBy(d => d.Id, StringComparer.Ordinal))
            if (department.Budget is { } own) watched.Add(new("department", department.Id, own, own.Cell.WindowAt(now, tenant.Zone)));
        return watched;
    }

    /// <summary>
    /// Takes <paramref name="key"/>'s open thresholds out of <paramref name="open"/>: those raised in an earlier window
    /// close now (as new_period), so the new window raises them afresh; answers those raised in this window.
    /// </summary>
    private static async Task<(HashSet<decimal> Open, int Written)> OpenInWindowAsync(NpgsqlConnection connection, string tenantId,
        Dictionary<(string, string, string), Dictionary<decimal, DateTime>> open, (string, string, string) key, DateTime windowStart,
        Func<decimal, JsonObject> data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = new HashSet<decimal>();
        var written = 0;
        if (!open.Remove(key, out var thresholds)) return (current, written);
        foreach (var (threshold, raisedIn) in thresholds)
        {
            if (raisedIn == windowStart) current.Add(threshold);
            else
            {
                var closing = data(threshold);
                closing["reason"] = "new_period";
                if (await RecoverAsync(connection, tenantId, key, threshold, closing, now, cancellationToken)) written++;
            }
        }
        return (current, written);
    }

    private static async Task<Dictionary<(string, string, string), Dictionary<decimal, DateTime>>> OpenAsync(NpgsqlConnection connection, string tenantId, CancellationToken cancellationToken)
    {
        var open = new Dictionary<(string, string, string), Dictionary<decimal, DateTime>>();
        await using var command = new NpgsqlCommand(OpenSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            if (!open.TryGetValue(key, out var thresholds)) open[key] = thresholds = [];
            thresholds[reader.GetDecimal(3)] = reader.GetDateTime(4);
        }
        return open;
    }

    private static Task<bool> RaiseAsync(NpgsqlConnection connection, string tenantId, WatchedBudget w, string metric, decimal threshold,
        string type, JsonObject data, DateTimeOffset now, CancellationToken cancellationToken) =>
        RaiseAsync(connection, tenantId, w.Level, w.OwnerId, metric, threshold, w.Window.Start.ToDateTimeUtc(), type, data, now, cancellationToken);

    private static async Task<bool> RaiseAsync(NpgsqlConnection connection, string tenantId, string level, string ownerId, string metric, decimal threshold,
        DateTime windowStart, string type, JsonObject data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var eventId = NewEventId();
        await using var raise = new NpgsqlCommand(RaiseSql, connection);
        foreach (var value in new object[] { tenantId, level, ownerId, metric, threshold, DateTime.SpecifyKind(windowStart, DateTimeKind.Utc), eventId, now })
            raise.Parameters.Add(new NpgsqlParameter { Value = value });
        // Another worker raised it first: its event is the one.
        if (await raise.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        await WriteEventAsync(connection, tenantId, eventId, type, data, now, cancellationToken);
        return true;
    }

    private static async Task<bool> RecoverAsync(
        NpgsqlConnection connection, string tenantId, (string Level, string OwnerId, string Metric) key, decimal threshold, JsonObject data,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var eventId = NewEventId();
        await using var recover = new NpgsqlCommand(RecoverSql, connection);
        foreach (var value in new object[] { tenantId, key.Level, key.OwnerId, key.Metric, threshold, eventId, now })
            recover.Parameters.Add(new NpgsqlParameter { Value = value });
        if (await recover.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        await WriteEventAsync(connection, tenantId, eventId, WebhookEvents.Recovered, data, now, cancellationToken);
        return true;
    }

    private static async Task WriteEventAsync(
        NpgsqlConnection connection, string tenantId, string eventId, string type, JsonObject data, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var write = new NpgsqlCommand(EventSql, connection);
        foreach (var value in new object[] { tenantId, eventId, type, now, data.ToJsonString() })
            write.Parameters.Add(new NpgsqlParameter { Value = value });
        await write.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The contract's alert data: amounts in the budget's unit (dollars for usd).</summary>
    private static JsonObject Data(WatchedBudget w, decimal threshold, long used) => new()
    {
        ["level"] = w.Level,
        ["ownerId"] = w.OwnerId,
        ["unit"] = w.Budget.Unit,
        ["threshold"] = threshold,
        ["used"] = BudgetParser.LimitToWire(w.Budget.Unit, used),
        ["limit"] = BudgetParser.LimitToWire(w.Budget.Unit, w.Budget.Limit),
        ["windowStart"] = w.Window.Start.ToDateTimeUtc(),
        ["resetsAt"] = w.Window.End.ToDateTimeUtc(),
    };

    /// <summary>The alert data of a projection: the contract's projected_overrun adds projected and overrunOn (and the 80 % band).</summary>
    private static JsonObject ProjectionData(WatchedBudget w, long used, BudgetForecast forecast)
    {
        var data = Data(w, 1m, used);
        data["projected"] = BudgetParser.LimitToWire(w.Budget.Unit, forecast.Projected);
        data["projectedLow"] = BudgetParser.LimitToWire(w.Budget.Unit, forecast.Low);
        data["projectedHigh"] = BudgetParser.LimitToWire(w.Budget.Unit, forecast.High);
        data["overrunOn"] = forecast.OverrunOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return data;
    }

    private static JsonObject GoneData((string Level, string OwnerId, string Metric) key, decimal threshold) => new()
    {
        ["level"] = key.Level,
        ["ownerId"] = key.OwnerId,
        ["unit"] = key.Metric,
        ["threshold"] = threshold,
        ["used"] = null,
        ["limit"] = null,
        ["reason"] = "budget_removed",
    };

    /// <summary>evt_ and 24 random characters: unguessable, and what receivers dedupe on.</summary>
    public static string NewEventId() => "evt_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);
}
