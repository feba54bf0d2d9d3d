using Npgsql;
using TenantQuota.Data.Audit;

namespace TenantQuota.Data.Governance;

/// <param name="Departments">The departments the report covers; null for all.</param>
public sealed record ReportSubscription(string Period, IReadOnlyList<string>? Departments, DateTimeOffset UpdatedAt);

/// <summary>report_subscriptions: a tenant's weekly usage report, sent by the worker (UsageReports). Changes are audited.</summary>
public sealed class ReportSubscriptions(NpgsqlDataSource db, TimeProvider clock)
{
    public const string Weekly = "weekly";

    public async Task<ReportSubscription?> FindAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT period, departments, updated_at FROM report_subscriptions WHERE tenant_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ReportSubscription(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1), reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    /// <summary>Creates or replaces the subscription; the departments must exist (checked by the caller).</summary>
    public async Task<ReportSubscription> PutAsync(string tenantId, IReadOnlyList<string>? departments, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        object? before = null;
        // The tenant's row is the lock: two changes at once take turns, so each audits what the other left.
        await using (var read = new NpgsqlCommand("""
            SELECT s.tenant_id IS NOT NULL, s.departments FROM tenants t LEFT JOIN report_subscriptions s ON s.tenant_id = t.id
             WHERE t.id = $1 FOR NO KEY UPDATE OF t
            """, connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetBoolean(0))
                before = new { period = Weekly, departments = reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1) };
        }
        await using (var put = new NpgsqlCommand("""
            INSERT INTO report_subscriptions (tenant_id, period, departments, created_at, updated_at) VALUES ($1, 'weekly', $2, $3, $3)
            ON CONFLICT (tenant_id) DO UPDATE SET departments = EXCLUDED.departments, updated_at = EXCLUDED.updated_at
            """, connection, transaction))
        {
            put.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            put.Parameters.Add(new NpgsqlParameter { Value = (object?)departments?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
            put.Parameters.Add(new NpgsqlParameter { Value = now });
            await put.ExecuteNonQueryAsync(cancellationToken);
        }
        await AuditLog.AppendAsync(transaction, new AuditEntry(tenantId, AuditLog.Report, before is null ? "created" : "changed", Weekly, actor, now, before,
            new { period = Weekly, departments }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ReportSubscription(Weekly, departments, now);
    }

    /// <summary>Ends the subscription; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string tenantId, string actor, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand("DELETE FROM report_subscriptions WHERE tenant_id = $1 RETURNING departments", connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            var before = new { period = Weekly, departments = reader.IsDBNull(0) ? null : reader.GetFieldValue<string[]>(0) };
            await reader.DisposeAsync();
            await AuditLog.AppendAsync(transaction, new AuditEntry(tenantId, AuditLog.Report, "deleted", Weekly, actor, now, before, null), cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
