using System.Text.Json.Nodes;
using Npgsql;
using TenantQuota.Data.Audit;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// A subject's own row: its department, cell overrides and the models it may call (null: any), as stored, and the
/// anomaly detector's hold on it, if any.
/// </summary>
public sealed record SubjectRow(string SubjectId, string? DepartmentId, JsonObject Overrides, IReadOnlyList<string>? Models = null, AnomalyHold? Hold = null);

/// <summary>One day's use by one department ('' for none) of one class: quantity in the class's unit, money, tokens.</summary>
public sealed record DailyUse(string DepartmentId, string OperationClass, DateOnly Day, long Quantity, long CostMicroUsd, long Tokens);

/// <summary>
/// The tenant budget, departments and subjects of a tenant (tenants.budget, departments, subjects). Each
/// change is a <see cref="TenantChange"/> with its audit entry; those the hot path caches (the budget and the
/// departments, and whether the tenant has subject rows at all) bump the tenant's version.
/// </summary>
public sealed class TenantBudgets(NpgsqlDataSource db) : IAsyncDisposable
{
    // Subject rows are read on the hot path of every request of a tenant that has them: those that arrive together
    // are read in one statement, as checks are (docs/decisions/0016).
    private readonly GroupRunner<(string TenantId, string SubjectId), SubjectRow?> _subjectReads =
        new("subjects", (keys, cancellationToken) => FindSubjectsAsync(db, keys, cancellationToken), lanes: 2, maxGroup: 256);

    public ValueTask DisposeAsync() => _subjectReads.DisposeAsync();

    public async Task<JsonObject?> GetTenantBudgetAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT budget::text FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonNode.Parse(json)!.AsObject() : null;
    }

    /// <summary>Replaces the tenant budget (null removes it); false when there is no such tenant.</summary>
    public async Task<bool> SetTenantBudgetAsync(string tenantId, Budget? budget, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken);
        if (change is null) return false;
        var after = budget is null ? null : BudgetParser.ToJson(budget).ToJsonString();
        var before = (string?)await change.ScalarAsync("SELECT budget::text FROM tenants WHERE id = $1", cancellationToken, tenantId);
        await change.ExecuteAsync("UPDATE tenants SET budget = $2::jsonb WHERE id = $1", cancellationToken, tenantId, after);
        await change.BumpVersionAsync(now, cancellationToken);
        await change.AuditAsync(AuditLog.Budget, budget is null ? "removed" : "changed", null, actor, now, before, after, cancellationToken);
        await change.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Creates or replaces a department; answers whether it was created, or null when there is no such tenant.</summary>
    public async Task<bool?> PutDepartmentAsync(string tenantId, Department department, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken);
        if (change is null) return null;
        var after = new JsonObject
        {
            ["name"] = department.Name, ["priority"] = department.Priority.ToWireName(),
            ["budget"] = department.Budget is null ? null : BudgetParser.ToJson(department.Budget), ["models"] = ModelsJson(department.Models),
        };
        var before = (string?)await change.ScalarAsync("""
            SELECT json_build_object('name', name, 'priority', priority, 'budget', budget, 'models', models)::text FROM departments WHERE tenant_id = $1 AND id = $2
            """, cancellationToken, tenantId, department.Id);
        await change.ExecuteAsync("""
            INSERT INTO departments (tenant_id, id, name, priority, budget, models, created_at, updated_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $7)
            ON CONFLICT (tenant_id, id) DO UPDATE SET name = EXCLUDED.name, priority = EXCLUDED.priority, budget = EXCLUDED.budget,
                models = EXCLUDED.models, updated_at = EXCLUDED.updated_at
            """, cancellationToken, tenantId, department.Id, department.Name, department.Priority.ToWireName(),
            department.Budget is null ? null : BudgetParser.ToJson(department.Budget).ToJsonString(), ModelsJson(department.Models)?.ToJsonString(), now);
        await change.BumpVersionAsync(now, cancellationToken);
        await change.AuditAsync(AuditLog.Department, before is null ? "created" : "changed", department.Id, actor, now, before, after.ToJsonString(), cancellationToken);
        await change.CommitAsync(cancellationToken);
        return before is null;
    }

    /// <summary>A subject's own row, or null when nobody said anything about the subject.</summary>
    public Task<SubjectRow?> FindSubjectAsync(string tenantId, string subjectId, CancellationToken cancellationToken) =>
        _subjectReads.RunAsync((tenantId, subjectId));

    private static async Task<IReadOnlyList<SubjectRow?>> FindSubjectsAsync(
        NpgsqlDataSource db, IReadOnlyList<(string TenantId, string SubjectId)> keys, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT k.ord, s.department_id, s.overrides::text, s.models::text, s.hold->>'fallbackClass', s.hold IS NOT NULL
              FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k (tenant_id, subject_id, ord)
              JOIN subjects s ON s.tenant_id = k.tenant_id AND s.subject_id = k.subject_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.TenantId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys.Select(k => k.SubjectId).ToArray() });
        var rows = new SubjectRow?[keys.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var index = (int)reader.GetInt64(0) - 1;
            rows[index] = new SubjectRow(keys[index].SubjectId, reader.IsDBNull(1) ? null : reader.GetString(1),
                JsonNode.Parse(reader.GetString(2))!.AsObject(), reader.IsDBNull(3) ? null : Models(JsonNode.Parse(reader.GetString(3))),
                reader.GetBoolean(5) ? new AnomalyHold(QuotaLevel.Subject, reader.IsDBNull(4) ? null : reader.GetString(4)) : null);
        }
        return rows;
    }

    /// <summary>
    /// Places a subject in a department (null: none) with its own overrides. What the subject used stays its
    /// own; what its old department spent stays that department's. Answers false when the department is unknown
    /// and null when there is no such tenant.
    /// </summary>
    public async Task<bool?> PutSubjectAsync(string tenantId, SubjectRow subject, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken);
        if (change is null) return null;
        if (subject.DepartmentId is not null
            && await change.ScalarAsync("SELECT 1 FROM departments WHERE tenant_id = $1 AND id = $2", cancellationToken, tenantId, subject.DepartmentId) is null)
            return false;
        var before = (string?)await change.ScalarAsync("""
            SELECT json_build_object('departmentId', department_id, 'overrides', overrides, 'models', models)::text FROM subjects WHERE tenant_id = $1 AND subject_id = $2
            """, cancellationToken, tenantId, subject.SubjectId);
        var firstOfTenant = before is null && await change.ScalarAsync("SELECT 1 FROM subjects WHERE tenant_id = $1 LIMIT 1", cancellationToken, tenantId) is null;
        await change.ExecuteAsync("""
            INSERT INTO subjects (tenant_id, subject_id, department_id, overrides, models, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6)
            ON CONFLICT (tenant_id, subject_id) DO UPDATE SET department_id = EXCLUDED.department_id, overrides = EXCLUDED.overrides,
                models = EXCLUDED.models, updated_at = EXCLUDED.updated_at
            """, cancellationToken, tenantId, subject.SubjectId, subject.DepartmentId, subject.Overrides.ToJsonString(), ModelsJson(subject.Models)?.ToJsonString(), now);
        // Subject rows are read per request, not cached; only a tenant's first one changes what its cached copy says.
        if (firstOfTenant) await change.BumpVersionAsync(now, cancellationToken);
        var after = new JsonObject { ["departmentId"] = subject.DepartmentId, ["overrides"] = subject.Overrides.DeepClone(), ["models"] = ModelsJson(subject.Models) };
        await change.AuditAsync(AuditLog.Subject, before is null ? "created" : "changed", subject.SubjectId, actor, now, before, after.ToJsonString(), cancellationToken);
        await change.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>What each budget counter (level, owner, metric, window start) holds: used, and held by open reservations.</summary>
    public async Task<IReadOnlyList<(long Used, long Held)>> ReadCountersAsync(
        string tenantId, IReadOnlyList<(string Level, string OwnerId, string Metric, QuotaWindow Window)> counters, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT w.ord, COALESCE(sum(CASE WHEN c.window_start >= w.counts_from THEN c.used ELSE 0 END), 0)::bigint,
                   COALESCE(sum(c.reserved), 0)::bigint
              FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
                   WITH ORDINALITY AS w (level, owner_id, metric, counts_to, counts_from, holds_from, ord)
              LEFT JOIN quota_counters c ON c.tenant_id = $1 AND c.level = w.level AND c.owner_id = w.owner_id
                                        AND c.metric = w.metric AND c.window_start BETWEEN w.holds_from AND w.counts_to
             GROUP BY w.ord
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => c.Level).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => c.OwnerId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => c.Metric).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => QuotaLedger.Upper(c.Window)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => c.Window.CountsFrom.ToDateTimeUtc()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = counters.Select(c => c.Window.HoldsFrom.ToDateTimeUtc()).ToArray() });
        var read = new (long, long)[counters.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) read[reader.GetInt64(0) - 1] = (reader.GetInt64(1), reader.GetInt64(2));
        return read;
    }

    /// <summary>What a tenant used per UTC day in [from, to), by department ('' for none) and class, from the worker's rollups (a minute behind at most).</summary>
    public async Task<IReadOnlyList<DailyUse>> DailyUseAsync(string tenantId, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT department_id, operation_class, date_trunc('day', hour, 'UTC'), sum(quantity)::bigint, sum(cost_micro_usd)::bigint,
                   sum(input_tokens + output_tokens)::bigint
              FROM usage_hourly_groups
             WHERE tenant_id = $1 AND hour >= $2 AND hour < $3
             GROUP BY 1, 2, 3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) });
        command.Parameters.Add(new NpgsqlParameter { Value = new DateTimeOffset(to.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) });
        var days = new List<DailyUse>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            days.Add(new DailyUse(reader.GetString(0), reader.GetString(1), DateOnly.FromDateTime(reader.GetDateTime(2)),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        return days;
    }

    /// <summary>The subjects of a tenant that have overrides of their own, with them (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<(string SubjectId, IReadOnlyDictionary<string, CellOverride> Overrides)>> SubjectOverridesAsync(
        string tenantId, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT subject_id, overrides::text FROM subjects WHERE tenant_id = $1 AND overrides <> '{}'::jsonb ORDER BY subject_id LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var subjects = new List<(string, IReadOnlyDictionary<string, CellOverride>)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) subjects.Add((reader.GetString(0), TenantOverrides.Parse(reader.GetString(1))));
        return subjects;
    }

    /// <summary>How many subjects each department of the tenant has.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountMembersAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT department_id, count(*) FROM subjects WHERE tenant_id = $1 AND department_id IS NOT NULL GROUP BY 1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var members = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) members[reader.GetString(0)] = reader.GetInt64(1);
        return members;
    }

    /// <summary>A subject row's overrides as the domain uses them.</summary>
    public static IReadOnlyDictionary<string, CellOverride> Overrides(SubjectRow? subject) =>
        subject is null || subject.Overrides.Count == 0 ? NoOverrides : TenantOverrides.Parse(subject.Overrides.ToJsonString());

    private static readonly IReadOnlyDictionary<string, CellOverride> NoOverrides = new Dictionary<string, CellOverride>();

    /// <summary>A stored list of models (a JSON array), or null for any.</summary>
    public static IReadOnlyList<string>? Models(JsonNode? json) =>
        json is JsonArray list ? list.Select(m => (string)m!).ToList() : null;

    private static JsonArray? ModelsJson(IReadOnlyList<string>? models) =>
        models is null ? null : new JsonArray(models.Select(m => (JsonNode)JsonValue.Create(m)).ToArray());
}
