using Npgsql;
using TenantQuota.Data.Audit;

namespace TenantQuota.Data.Governance;

/// <summary>cell_alert_thresholds: per operation class, the shares of each person's cell limit that raise an alert. Changes are audited.</summary>
public sealed class CellAlerts(NpgsqlDataSource db, TimeProvider clock)
{
    public async Task<IReadOnlyDictionary<string, decimal[]>> ReadAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT operation_class, thresholds FROM cell_alert_thresholds WHERE tenant_id = $1 ORDER BY operation_class");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var read = new SortedDictionary<string, decimal[]>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) read[reader.GetString(0)] = reader.GetFieldValue<decimal[]>(1);
        return read;
    }

    /// <summary>Replaces the tenant's cell thresholds with <paramref name="thresholds"/> (empty: none), checked by the caller.</summary>
    public async Task PutAsync(string tenantId, IReadOnlyDictionary<string, decimal[]> thresholds, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The tenant's row is the lock, so two replacements take turns and each audits what the other left.
        await using (var lockTenant = new NpgsqlCommand("SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE", connection, transaction))
        {
            lockTenant.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await lockTenant.ExecuteNonQueryAsync(cancellationToken);
        }
        var before = await ReadAsync(connection, transaction, tenantId, cancellationToken);
        await using (var clear = new NpgsqlCommand("DELETE FROM cell_alert_thresholds WHERE tenant_id = $1", connection, transaction))
        {
            clear.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var replace = new NpgsqlCommand("""
            INSERT INTO cell_alert_thresholds (tenant_id, operation_class, thresholds, updated_at)
            SELECT $1, c, (SELECT array_agg(t ORDER BY t) FROM jsonb_array_elements_text($3::jsonb -> c) AS t(t))::numeric[], $4 FROM unnest($2::text[]) AS c
            """, connection, transaction))
        {
            replace.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            replace.Parameters.Add(new NpgsqlParameter { Value = thresholds.Keys.ToArray() });
            replace.Parameters.Add(new NpgsqlParameter { Value = System.Text.Json.JsonSerializer.Serialize(thresholds) });
            replace.Parameters.Add(new NpgsqlParameter { Value = now });
            await replace.ExecuteNonQueryAsync(cancellationToken);
        }
        await AuditLog.AppendAsync(transaction, new AuditEntry(tenantId, AuditLog.CellAlerts, before.Count == 0 ? "created" : "changed", null, actor, now,
            before.Count == 0 ? null : before, thresholds), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, decimal[]>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT operation_class, thresholds FROM cell_alert_thresholds WHERE tenant_id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        var read = new Dictionary<string, decimal[]>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) read[reader.GetString(0)] = reader.GetFieldValue<decimal[]>(1);
        return read;
    }
}
