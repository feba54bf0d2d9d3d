using System.Collections.Concurrent;
using NodaTime;
using Npgsql;
using System.Text.Json.Nodes;
using TenantQuota.Domain;
using TenantQuota.Domain.Budgets;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// What the hot path needs to know about a tenant: its tier, zone, version, matrix overrides, budget and
/// departments, and whether any subject has a row of its own (a department or overrides) worth reading.
/// </summary>
public sealed record TenantSnapshot(
    string Id, string Tier, DateTimeZone Zone, long Version, IReadOnlyDictionary<string, CellOverride> Overrides,
    Budget? Budget = null, IReadOnlyDictionary<string, Department>? Departments = null, bool HasSubjects = false)
{
    /// <summary>The cell that applies to this tenant: its tier's, with its override for the class if any.</summary>
    public QuotaCell Cell(QuotaMatrix matrix, string operationClass) => matrix.Cell(Tier, operationClass, Overrides);

    public Department? Department(string? id) => id is not null && Departments is not null && Departments.TryGetValue(id, out var found) ? found : null;
}

/// <summary>
/// A per-process cache of tenants. The database stays the arbiter: every hot-path statement
/// carries the cached <see cref="TenantSnapshot.Version"/> and the database answers "stale" when a
/// tier change has moved it on, whichever process made the change; the caller then reloads.
/// </summary>
public sealed class TenantDirectory(NpgsqlDataSource db, QuotaMatrix matrix)
{
    private readonly ConcurrentDictionary<string, TenantSnapshot> _cache = new(StringComparer.Ordinal);

    public ValueTask<TenantSnapshot?> FindAsync(string tenantId, CancellationToken cancellationToken) =>
        _cache.TryGetValue(tenantId, out var cached)
            ? ValueTask.FromResult<TenantSnapshot?>(cached)
            : new ValueTask<TenantSnapshot?>(ReloadAsync(tenantId, cancellationToken));

    public async Task<TenantSnapshot?> ReloadAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("""
            SELECT t.tier, t.time_zone, t.version, t.overrides::text, t.budget::text,
                   (SELECT json_agg(json_build_object('id', d.id, 'name', d.name, 'priority', d.priority, 'budget', d.budget, 'models', d.models, 'hold', d.hold))
                      FROM departments d WHERE d.tenant_id = t.id)::text AS departments,
                   EXISTS (SELECT 1 FROM subjects s WHERE s.tenant_id = t.id) AS has_subjects
              FROM tenants t WHERE t.id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            _cache.TryRemove(tenantId, out _);
            return null;
        }
        var zone = TimeZones.TryFind(reader.GetString(1), out var found) ? found : TimeZones.Utc;
        var snapshot = new TenantSnapshot(tenantId, reader.GetString(0), zone, reader.GetInt64(2), TenantOverrides.Parse(reader.GetString(3)),
            BudgetParser.FromStored(reader.IsDBNull(4) ? null : reader.GetString(4), matrix),
            reader.IsDBNull(5) ? null : Departments(reader.GetString(5)), reader.GetBoolean(6));
        _cache[tenantId] = snapshot;
        return snapshot;
    }

    private Dictionary<string, Department> Departments(string json)
    {
        var departments = new Dictionary<string, Department>(StringComparer.Ordinal);
        foreach (var d in JsonNode.Parse(json)!.AsArray())
        {
            var id = (string)d!["id"]!;
            BudgetNames.TryParsePriority((string?)d["priority"], out var priority);
            departments[id] = new Department(id, (string)d["name"]!, priority, BudgetParser.FromStored(d["budget"] is JsonObject b ? b.ToJsonString() : null, matrix),
                TenantBudgets.Models(d["models"]),
                d["hold"] is JsonObject hold ? new AnomalyHold(QuotaLevel.Department, (string?)hold["fallbackClass"]) : null);
        }
        return departments;
    }

    /// <summary>Drops this process's copy after a local change, so its next request reads the new one at once.</summary>
    public void Forget(string tenantId) => _cache.TryRemove(tenantId, out _);
}
