using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using TenantQuota.Data.Audit;
using TenantQuota.Domain.Matrix;

namespace TenantQuota.Data;

/// <summary>
/// tenants.overrides: a tenant's matrix overrides, as JSON in the shape of the API's body. Stored as a
/// <see cref="TenantChange"/>: consumes in flight finish on the old cells, later ones in every process
/// reload the tenant and use the new ones.
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
        await using var change = await TenantChange.BeginAsync(db, tenantId, cancellationToken);
        if (change is null) return false;
        var before = (string?)await change.ScalarAsync("SELECT overrides::text FROM tenants WHERE id = $1", cancellationToken, tenantId);
        await change.ExecuteAsync("UPDATE tenants SET overrides = $2::jsonb WHERE id = $1", cancellationToken, tenantId, overrides.ToJsonString());
        await change.BumpVersionAsync(now, cancellationToken);
        await change.AuditAsync(AuditLog.Override, "changed", null, actor, now, before, overrides.ToJsonString(), cancellationToken);
        await change.CommitAsync(cancellationToken);
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
