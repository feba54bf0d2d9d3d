using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Data.Audit;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// tenants.overrides: a tenant's matrix overrides, as JSON in the shape of the API's body. Stored under
/// the tenant's exclusive lock with a version bump, like a tier change: consumes in flight finish on the
/// old cells, later ones in every process reload the tenant and use the new ones.
/// </summary>
public sealed class TenantOverrides(NpgsqlDataSource db)
{
    /// <summary>The tenant's overrides as stored, or null when there is no such tenant.</summary>
    public async Task<JsonObject?> GetAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT overrides::text FROM tenants WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? JsonNode.Parse(json)!.AsObject() : null;
    }

    /// <summary>Replaces them (already validated), audited in the same transaction; false when there is no such tenant.</summary>
    public async Task<bool> SetAsync(string tenantId, JsonObject overrides, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_xact_lock(tq_tenant_lock_key($1))", connection, transaction))
        {
            take.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await take.ExecuteNonQueryAsync(cancellationToken);
        }
        string? before;
        await using (var read = new NpgsqlCommand("SELECT overrides::text FROM tenants WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            before = await read.ExecuteScalarAsync(cancellationToken) as string;
        }
        if (before is null) return false;
        await using (var write = new NpgsqlCommand("UPDATE tenants SET overrides = $2::jsonb, version = version + 1, updated_at = $3 WHERE id = $1", connection, transaction))
        {
            write.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            write.Parameters.Add(new NpgsqlParameter { Value = overrides.ToJsonString(), NpgsqlDbType = NpgsqlDbType.Text });
            write.Parameters.Add(new NpgsqlParameter { Value = now });
            await write.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var audit = new NpgsqlCommand("""
            INSERT INTO audit_log (tenant_id, kind, action, target, actor, at, before, after) VALUES ($1, $2, 'changed', NULL, $3, $4, $5::jsonb, $6::jsonb)
            """, connection, transaction))
        {
            foreach (var value in new object[] { tenantId, AuditLog.Override, actor, now, before, overrides.ToJsonString() })
                audit.Parameters.Add(new NpgsqlParameter { Value = value });
            await audit.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Stored overrides as the domain uses them. They were checked when stored; anything unreadable is left out.</summary>
    public static IReadOnlyDictionary<string, CellOverride> Parse(string json)
    {
        var overrides = new Dictionary<string, CellOverride>(StringComparer.Ordinal);
        foreach (var (name, node) in JsonNode.Parse(json)?.AsObject() ?? [])
            if (node is JsonObject o)
                overrides[name] = new CellOverride(Long(o["softLimit"]), Long(o["hardLimit"]),
                    OverQuotaActions.TryParse((string?)o["overQuota"], out var action) ? action : null, (string?)o["fallbackClass"]);
        return overrides;
    }

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var value) ? value : null;
}
